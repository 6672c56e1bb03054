export type Role = "customer" | "admin";

/** The shop's Moleculer services, each deployable as nodes of its own (the card processor sandbox is not one). */
export const SHOP_SERVICES = ["api", "catalogue", "customers", "carts", "orders", "payments", "shipping", "notifications"] as const;
export type ShopServiceName = (typeof SHOP_SERVICES)[number];

/** Who is calling, as the gateway established it from a verified token. */
export interface AuthUser {
	id: string;
	role: Role;
}

/** What every action receives in `ctx.meta` from the gateway. */
export interface ShopMeta {
	user?: AuthUser | null;
	$statusCode?: number;
	/** The Location header of a 201: where the created resource can be read. */
	$location?: string;
	/** moleculer-web: the media type and extra headers of an answer that is not plain JSON. */
	$responseType?: string;
	$responseHeaders?: Record<string, string>;
	/** Set by a read whose answer is the same for every shopper: HTTP caches may keep it a short while. */
	$publicCache?: boolean;
	/** The X-Request-Id of the HTTP request this work is for (the client's, or one the gateway made). */
	requestId?: string;
	/** The order the work is for, when an event handler knows it: its calls' log lines name it too. */
	orderId?: string;
	/** The request's Idempotency-Key header, its form checked by the gateway (routes that take one only). */
	idempotencyKey?: string;
	/** The Last-Event-ID header of a live stream's reconnect: the last event the client received. */
	lastEventId?: number;
	/** Set by a service that acts for a request of its own (the cart's checkout): its key and fingerprint. */
	idempotency?: IdempotencyClaim;
}

/** An idempotency key and the fingerprint of the request it was first sent with (see lib/idempotency.ts). */
export interface IdempotencyClaim {
	key: string;
	fingerprint: string;
}

export interface Page<T> {
	rows: T[];
	total: number;
	page: number;
	pageSize: number;
	totalPages: number;
}

/** A yes/no filter as a query string gives it (lib/rules.ts queryFlagRule). */
export type QueryFlag = "true" | "false";

export interface PageParams {
	page?: number;
	pageSize?: number;
}
