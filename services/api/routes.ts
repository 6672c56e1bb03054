import { escapeRegExp } from "../../lib/paging";

/*
 * The public API: every route the gateway serves under /api, in one table. moleculer-web's
 * aliases, the OpenAPI document and the per-route rules on where params come from are all made
 * from it, so a route cannot exist in one of them and be missing from another.
 */

/**
 * The version of this contract (the OpenAPI document's info.version): raised when a route or its
 * rules change. 1.4.0: products have a weight (`weightGrams`), given or left to its default.
 * 1.5.0: shipping. `POST /shipping/quotes`; orders and the cart's checkout take `shippingOptionId`
 * (the cheapest option when left out, so earlier clients keep working) and show goods and shipping
 * apart (`goodsCents`, `shippingCents`; `totalCents` is both); the saga gains AWAITING_SHIPMENT,
 * and a confirmed order goes on to SHIPPED and DELIVERED with its `tracking`; a cancel once the
 * label exists is 409 ORDER_ALREADY_LABELLED; admins list shipments. Returns: `POST
 * /orders/:id/returns` within the window after delivery (the order's `returns` and
 * `returnableUntil`), received by an admin (`POST /admin/orders/:id/returns/:returnId/receive`),
 * and `GET /admin/orders?returnsToReceive=true`.
 * 1.6.0: payments go through an external card processor. A payment may be PROCESSING (the
 * processor took it, its outcome is awaited) or ACTION_REQUIRED (the customer confirms it with
 * their bank at the payment's `actionUrl`, which an AWAITING_PAYMENT order also shows as
 * `paymentActionUrl`); the cards `tok_3ds` and `tok_insufficient_funds` join `tok_visa`,
 * `tok_decline` and `tok_slow`. `POST /webhooks/payments` takes the processor's signed events;
 * `GET /admin/payments/reconciliation` compares its books with the shop's.
 */
export const API_VERSION = "1.6.0";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * The gateway's moleculer-web routes: `auth` is anonymous and rate-limited, `shop` reads the
 * bearer token, `webhooks` takes only what a processor signed (payment-webhooks.ts).
 */
export type RouteGroup = "auth" | "shop" | "webhooks";

export interface PublicRoute {
	method: HttpMethod;
	/** Under /api, in moleculer-web's alias syntax (`/products/:id`). */
	path: string;
	/** The action that serves it; its `params` and `auth` describe the request. */
	action: string;
	group: RouteGroup;
	/** OpenAPI: a short sentence, the tag it is listed under, the success status and result schema name. */
	summary: string;
	tag: "auth" | "customers" | "catalogue" | "carts" | "orders" | "shipping" | "payments" | "notifications" | "admin" | "health" | "docs";
	success: 200 | 201;
	/** A name in the document's components.schemas (see services/api/openapi/schemas.ts). */
	result: string;
	/** For answers that are not JSON: their media types (the result is then text). */
	media?: string[];
	/**
	 * Takes an Idempotency-Key header: the gateway checks its form and hands it to the action in
	 * ctx.meta.idempotencyKey; the same key with the same body answers what the first request did.
	 */
	idempotencyKey?: true;
	/** Refusals this route gives beyond the ones every route of its kind may give (409, a 422 type…). */
	refusals?: { status: 409 | 422; types: string[] }[];
}

/** The services that consume domain events, each with an inbox whose dead letters an admin can read and redrive. */
export const EVENT_CONSUMERS = ["catalogue", "orders", "payments", "shipping", "notifications"] as const;

/** What placing an order may answer about its shipping option (shipping.choose). */
const SHIPPING_CONFLICTS = ["SHIPPING_OPTION_UNAVAILABLE", "SHIPPING_PRICE_CHANGED"];
const SHIPPING_REFUSALS = ["NO_SHIPPING_OPTION", "UNKNOWN_SHIPPING_OPTION"];

export const PUBLIC_ROUTES: readonly PublicRoute[] = [
	{
		method: "POST",
		path: "/auth/register",
		action: "customers.register",
		group: "auth",
		tag: "auth",
		summary: "Register a customer account",
		success: 201,
		result: "Customer",
		refusals: [{ status: 409, types: ["EMAIL_TAKEN"] }],
	},
	{
		method: "POST",
		path: "/auth/login",
		action: "customers.login",
		group: "auth",
		tag: "auth",
		summary: "Log in and receive a bearer token",
		success: 200,
		result: "LoginResult",
	},

	{
		method: "GET",
		path: "/openapi.json",
		action: "api.openapi",
		group: "shop",
		tag: "docs",
		summary: "This document: the API in OpenAPI 3.1",
		success: 200,
		result: "OpenApiDocument",
	},
	{
		method: "GET",
		path: "/docs",
		action: "api.docs",
		group: "shop",
		tag: "docs",
		summary: "The API reference page for people (Swagger UI)",
		success: 200,
		result: "Text",
		media: ["text/html; charset=utf-8"],
	},
	{
		method: "GET",
		path: "/docs/:file",
		action: "api.docsAsset",
		group: "shop",
		tag: "docs",
		summary: "A file of the reference page",
		success: 200,
		result: "Text",
		media: ["text/css; charset=utf-8", "text/javascript; charset=utf-8"],
	},
	{
		method: "GET",
		path: "/health",
		action: "api.health",
		group: "shop",
		tag: "health",
		summary: "Whether every service the shop needs is available",
		success: 200,
		result: "Health",
	},

	{
		method: "GET",
		path: "/me",
		action: "customers.me",
		group: "shop",
		tag: "customers",
		summary: "The caller's own profile",
		success: 200,
		result: "Customer",
	},
	{
		method: "PATCH",
		path: "/me",
		action: "customers.updateMe",
		group: "shop",
		tag: "customers",
		summary: "Change the caller's name or addresses",
		success: 200,
		result: "Customer",
	},
	{
		method: "GET",
		path: "/customers",
		action: "customers.list",
		group: "shop",
		tag: "customers",
		summary: "List customers (admin)",
		success: 200,
		result: "CustomerPage",
	},

	{
		method: "GET",
		path: "/products",
		action: "catalogue.list",
		group: "shop",
		tag: "catalogue",
		summary: "Browse active products (admins also see inactive ones)",
		success: 200,
		result: "ProductPage",
	},
	{
		method: "GET",
		path: "/categories",
		action: "catalogue.categories",
		group: "shop",
		tag: "catalogue",
		summary: "The categories of the products on sale, by name, each with its number of products",
		success: 200,
		result: "CategoryList",
	},
	{ method: "GET", path: "/products/:id", action: "catalogue.get", group: "shop", tag: "catalogue", summary: "One product", success: 200, result: "Product" },
	{
		method: "POST",
		path: "/products",
		action: "catalogue.create",
		group: "shop",
		tag: "catalogue",
		summary: "Create a product (admin)",
		success: 201,
		result: "Product",
		refusals: [{ status: 409, types: ["SKU_TAKEN"] }],
	},
	{
		method: "PATCH",
		path: "/products/:id",
		action: "catalogue.update",
		group: "shop",
		tag: "catalogue",
		summary: "Change a product's fields or stock (admin)",
		success: 200,
		result: "Product",
		refusals: [{ status: 409, types: ["SKU_TAKEN", "STOCK_CHANGED_CONCURRENTLY", "STOCK_NOT_AS_EXPECTED"] }],
	},
	// Not DELETE: a deactivated product stays readable for admins (and orders keep naming it).
	{
		method: "POST",
		path: "/products/:id/deactivate",
		action: "catalogue.deactivate",
		group: "shop",
		tag: "catalogue",
		summary: "Deactivate a product (admin): hidden from shoppers, still readable for admins",
		success: 200,
		result: "Product",
	},

	{
		method: "GET",
		path: "/cart",
		action: "carts.get",
		group: "shop",
		tag: "carts",
		summary: "The caller's cart: each line at the catalogue's current price, flagged when it changed or stock is short",
		success: 200,
		result: "Cart",
	},
	{
		method: "PUT",
		path: "/cart/items/:productId",
		action: "carts.setItem",
		group: "shop",
		tag: "carts",
		summary: "Set how many of a product the cart holds (0 removes the line)",
		success: 200,
		result: "Cart",
		refusals: [
			{ status: 409, types: ["CART_FULL", "CART_CHANGED_CONCURRENTLY"] },
			{ status: 422, types: ["MIXED_CURRENCIES", "LINE_QTY_TOO_LARGE"] },
		],
	},
	{
		method: "DELETE",
		path: "/cart/items/:productId",
		action: "carts.removeItem",
		group: "shop",
		tag: "carts",
		summary: "Take a product out of the cart (a line the cart does not hold changes nothing)",
		success: 200,
		result: "Cart",
		refusals: [{ status: 409, types: ["CART_CHANGED_CONCURRENTLY"] }],
	},
	{
		method: "DELETE",
		path: "/cart",
		action: "carts.clear",
		group: "shop",
		tag: "carts",
		summary: "Empty the cart",
		success: 200,
		result: "Cart",
		refusals: [{ status: 409, types: ["CART_CHANGED_CONCURRENTLY"] }],
	},
	{
		method: "POST",
		path: "/cart/merge",
		action: "carts.merge",
		group: "shop",
		tag: "carts",
		summary: "Add a guest's cart to the caller's at login: quantities summed and capped, each product's outcome reported",
		success: 200,
		result: "CartMergeResult",
		refusals: [{ status: 409, types: ["CART_CHANGED_CONCURRENTLY"] }],
	},
	{
		method: "POST",
		path: "/cart/checkout",
		action: "carts.checkout",
		group: "shop",
		tag: "carts",
		summary: "Place an order for the cart's lines; they leave the cart once the order exists",
		success: 201,
		result: "Order",
		idempotencyKey: true,
		refusals: [
			{ status: 409, types: ["CART_EMPTY", "CART_LINE_UNAVAILABLE", "CART_STOCK_SHORT", "IDEMPOTENCY_KEY_BUSY", ...SHIPPING_CONFLICTS] },
			{ status: 422, types: ["LINE_QTY_TOO_LARGE", "MIXED_CURRENCIES", "UNKNOWN_PRODUCT_IN_ORDER", "IDEMPOTENCY_KEY_REUSED", ...SHIPPING_REFUSALS] },
		],
	},

	{
		method: "POST",
		path: "/orders",
		action: "orders.create",
		group: "shop",
		tag: "orders",
		summary: "Place an order, shipped with the option named (or the cheapest); the saga then reserves stock, charges the card and books the parcel",
		success: 201,
		result: "Order",
		idempotencyKey: true,
		refusals: [
			{ status: 409, types: ["IDEMPOTENCY_KEY_BUSY", ...SHIPPING_CONFLICTS] },
			{ status: 422, types: ["UNKNOWN_PRODUCT_IN_ORDER", "MIXED_CURRENCIES", "LINE_QTY_TOO_LARGE", "IDEMPOTENCY_KEY_REUSED", ...SHIPPING_REFUSALS] },
		],
	},
	{
		method: "GET",
		path: "/orders",
		action: "orders.list",
		group: "shop",
		tag: "orders",
		summary: "The caller's orders (an admin's: everyone's)",
		success: 200,
		result: "OrderPage",
	},
	{
		method: "GET",
		path: "/orders/:id",
		action: "orders.get",
		group: "shop",
		tag: "orders",
		summary: "One order with its status history",
		success: 200,
		result: "Order",
	},
	{
		method: "GET",
		path: "/orders/:id/events",
		action: "api.orderEvents",
		group: "shop",
		tag: "orders",
		summary:
			"The order's status as Server-Sent Events: its history so far at once, the current status last, then each change as it happens, until CONFIRMED or CANCELLED",
		success: 200,
		result: "OrderStatusEvent",
		media: ["text/event-stream; charset=utf-8"],
	},
	{
		method: "POST",
		path: "/orders/:id/cancel",
		action: "orders.cancel",
		group: "shop",
		tag: "orders",
		summary: "Cancel an order before its parcel is booked; a settled payment is refunded",
		success: 200,
		result: "Order",
		refusals: [{ status: 409, types: ["ORDER_ALREADY_FINAL", "ORDER_ALREADY_LABELLED"] }],
	},
	{
		method: "POST",
		path: "/orders/:id/returns",
		action: "orders.requestReturn",
		group: "shop",
		tag: "orders",
		summary: "Ask to send back some or all of a delivered order's lines, within the return window; refunded once the shop receives them",
		success: 201,
		result: "Order",
		idempotencyKey: true,
		refusals: [
			{ status: 409, types: ["ORDER_NOT_DELIVERED", "RETURN_WINDOW_CLOSED", "RETURN_CHANGED_CONCURRENTLY"] },
			{ status: 422, types: ["RETURN_LINE_NOT_IN_ORDER", "RETURN_QTY_TOO_LARGE", "IDEMPOTENCY_KEY_REUSED"] },
		],
	},
	{
		method: "POST",
		path: "/admin/orders/:id/returns/:returnId/receive",
		action: "orders.receiveReturn",
		group: "shop",
		tag: "admin",
		summary: "Mark a return's parcel received: its stock goes back on sale and its amount is refunded (admin)",
		success: 200,
		result: "Order",
		refusals: [{ status: 409, types: ["RETURN_ALREADY_RECEIVED", "RETURN_CHANGED_CONCURRENTLY"] }],
	},

	{
		method: "POST",
		path: "/shipping/quotes",
		action: "shipping.quote",
		group: "shop",
		tag: "shipping",
		summary: "What shipping these lines to a destination costs, each way that reaches it, cheapest first (no account needed)",
		success: 200,
		result: "ShippingQuote",
		refusals: [{ status: 422, types: ["NO_SHIPPING_OPTION", "UNKNOWN_PRODUCT_IN_ORDER", "MIXED_CURRENCIES", "LINE_QTY_TOO_LARGE"] }],
	},
	{
		method: "GET",
		path: "/admin/shipments",
		action: "shipping.list",
		group: "shop",
		tag: "admin",
		summary: "Every shipment, by status, newest first (admin)",
		success: 200,
		result: "ShipmentPage",
	},
	{
		method: "GET",
		path: "/admin/payments/reconciliation",
		action: "payments.reconcile",
		group: "shop",
		tag: "admin",
		summary: "The card processor's books against the shop's payments: every discrepancy (admin)",
		success: 200,
		result: "ReconciliationReport",
	},

	{
		method: "GET",
		path: "/admin/orders",
		action: "orders.adminList",
		group: "shop",
		tag: "admin",
		summary: "Every customer's orders, by status, customer and age, e.g. PENDING for longer than a minute (admin)",
		success: 200,
		result: "OrderPage",
	},
	{
		method: "GET",
		path: "/admin/orders/:id/timeline",
		action: "orders.timeline",
		group: "shop",
		tag: "admin",
		summary: "Everything that happened to an order across the services, oldest first (admin)",
		success: 200,
		result: "OrderTimeline",
	},

	{
		method: "GET",
		path: "/admin/orders/stats",
		action: "orders.stats",
		group: "shop",
		tag: "admin",
		summary: "Orders placed in the last sinceSeconds by status, and how long their sagas took to settle (admin)",
		success: 200,
		result: "OrderStats",
	},
	...EVENT_CONSUMERS.flatMap((service): PublicRoute[] => [
		{
			method: "GET",
			path: `/admin/dead-letters/${service}`,
			action: `${service}.deadLetters`,
			group: "shop",
			tag: "admin",
			summary: `The events ${service} gave up on, with their last error (admin)`,
			success: 200,
			result: "DeadLetterList",
		},
		{
			method: "POST",
			path: `/admin/dead-letters/${service}/redrive`,
			action: `${service}.redriveDeadLetters`,
			group: "shop",
			tag: "admin",
			summary: `Hand ${service}'s dead letters (all, or the ids given) to their handler once more (admin)`,
			success: 200,
			result: "RedriveResultList",
		},
	]),

	{
		method: "GET",
		path: "/payments",
		action: "payments.list",
		group: "shop",
		tag: "payments",
		summary: "The caller's payments",
		success: 200,
		result: "PaymentPage",
	},
	{
		method: "POST",
		path: "/webhooks/payments",
		action: "payments.acceptProcessorEvent",
		group: "webhooks",
		tag: "payments",
		summary: "The card processor's event (a signed webhook)",
		success: 200,
		result: "ProcessorEventAccepted",
	},
	{
		method: "GET",
		path: "/notifications",
		action: "notifications.list",
		group: "shop",
		tag: "notifications",
		summary: "The emails sent to the caller",
		success: 200,
		result: "NotificationPage",
	},
];

/** The actions that take an Idempotency-Key (see PublicRoute.idempotencyKey). */
export const ACTIONS_TAKING_KEYS: ReadonlySet<string> = new Set(PUBLIC_ROUTES.filter((route) => route.idempotencyKey).map((route) => route.action));

/** Reads (and DELETE) take their params from the path and the query string; writes (POST, PUT, PATCH) from the path and the JSON body. */
export function paramSource(method: HttpMethod): "query" | "body" {
	switch (method) {
		case "GET":
		case "DELETE":
			return "query";
		case "POST":
		case "PUT":
		case "PATCH":
		// Any other method (HEAD, TRACE…) is answered 404 or 405 before an action runs; its body is read as a write's would be.
		default:
			return "body";
	}
}

/** A path parameter in moleculer-web's alias syntax, its name captured: `:id`. */
export const PATH_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** The names of a path's parameters, in order: `/orders/:id/cancel` → `["id"]`. */
export function pathParams(path: string): string[] {
	return [...path.matchAll(PATH_PARAM)].map((match) => match[1]!);
}

/** moleculer-web's aliases for one gateway route, made from the table. */
export function aliasesOf(group: RouteGroup): Record<string, string> {
	const prefix = group === "shop" ? "" : `/${group}`;
	return Object.fromEntries(
		PUBLIC_ROUTES.filter((route) => route.group === group).map((route) => [`${route.method} ${route.path.slice(prefix.length)}`, route.action]),
	);
}

const matchers = PUBLIC_ROUTES.map((route) => ({
	route,
	pattern: new RegExp(`^${escapeRegExp(route.path).replace(PATH_PARAM, "[^/]+")}$`),
}));

/** The methods served at a path under /api (`/products/42`), for OPTIONS and 405's Allow; empty if none. */
export function methodsAt(path: string): HttpMethod[] {
	const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
	return matchers.filter(({ pattern }) => pattern.test(trimmed)).map(({ route }) => route.method);
}
