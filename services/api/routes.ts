import { escapeRegExp } from "../../lib/paging";
import { BACK_OFFICE_ROUTES, CATALOGUE_ADMIN_ROUTES, CUSTOMER_ADMIN_ROUTES, RETURN_ADMIN_ROUTES } from "./admin-routes";
import {
	AUTH_ROUTES,
	CART_ROUTES,
	CATALOGUE_ROUTES,
	CUSTOMER_ROUTES,
	DOCS_AND_HEALTH_ROUTES,
	NOTIFICATION_ROUTES,
	ORDER_ROUTES,
	PAYMENT_ROUTES,
	SHIPPING_ROUTES,
} from "./storefront-routes";

export { EVENT_CONSUMERS } from "./admin-routes";

/*
 * The public API: every route the gateway serves under /api, in one table. moleculer-web's
 * aliases, the OpenAPI document and the per-route rules on where params come from are all made
 * from it, so a route cannot exist in one of them and be missing from another. The table's rows
 * are written in storefront-routes.ts and admin-routes.ts; everything else imports them from here.
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
 * 1.6.1: each answer declares only the headers it sends (`POST /auth/register`'s 429 declared
 * the 201's `Location` as required).
 */
export const API_VERSION = "1.6.1";

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

/**
 * Every route, each area's storefront routes followed by its admin routes (storefront-routes.ts,
 * admin-routes.ts). The order is the OpenAPI document's, which the web app's generated client
 * follows, and within a path the order of the methods in Allow.
 */
export const PUBLIC_ROUTES: readonly PublicRoute[] = [
	...AUTH_ROUTES,
	...DOCS_AND_HEALTH_ROUTES,
	...CUSTOMER_ROUTES,
	...CUSTOMER_ADMIN_ROUTES,
	...CATALOGUE_ROUTES,
	...CATALOGUE_ADMIN_ROUTES,
	...CART_ROUTES,
	...ORDER_ROUTES,
	...RETURN_ADMIN_ROUTES,
	...SHIPPING_ROUTES,
	...BACK_OFFICE_ROUTES,
	...PAYMENT_ROUTES,
	...NOTIFICATION_ROUTES,
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
