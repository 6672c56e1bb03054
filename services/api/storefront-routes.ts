import type { PublicRoute } from "./routes";

/*
 * The routes of the storefront: what anyone may call (registering, logging in, the catalogue, the
 * reference), what a signed-in customer calls for their own account, cart and orders, and the
 * card processor's webhook. The routes only an admin may call are in admin-routes.ts; routes.ts
 * puts both into the one table.
 */

/** What placing an order may answer about its shipping option (shipping.choose). */
const SHIPPING_CONFLICTS = ["SHIPPING_OPTION_UNAVAILABLE", "SHIPPING_PRICE_CHANGED"];
const SHIPPING_REFUSALS = ["NO_SHIPPING_OPTION", "UNKNOWN_SHIPPING_OPTION"];

/** Anonymous and rate-limited (the `auth` group). */
export const AUTH_ROUTES: readonly PublicRoute[] = [
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
];

/** The API reference, and whether the shop can serve. */
export const DOCS_AND_HEALTH_ROUTES: readonly PublicRoute[] = [
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
];

/** The caller's own account. */
export const CUSTOMER_ROUTES: readonly PublicRoute[] = [
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
];

/** Browsing the catalogue. */
export const CATALOGUE_ROUTES: readonly PublicRoute[] = [
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
];

/** The caller's cart, and ordering what it holds. */
export const CART_ROUTES: readonly PublicRoute[] = [
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
];

/** Placing, following, cancelling and returning the caller's orders. */
export const ORDER_ROUTES: readonly PublicRoute[] = [
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
];

/** What shipping costs, before ordering. */
export const SHIPPING_ROUTES: readonly PublicRoute[] = [
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
];

/** The caller's payments, and the processor's events about them. */
export const PAYMENT_ROUTES: readonly PublicRoute[] = [
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
];

/** The emails sent to the caller. */
export const NOTIFICATION_ROUTES: readonly PublicRoute[] = [
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
