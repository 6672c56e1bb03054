import { Errors } from "moleculer";

/*
 * Every failure a handler raises is one of these. The class fixes the HTTP status and whether
 * Moleculer may retry it; the SCREAMING_SNAKE type names the rule that was broken, so a client
 * can branch on `error.type` without parsing messages.
 */

export type NotFoundType =
	| "PRODUCT_NOT_FOUND"
	| "CUSTOMER_NOT_FOUND"
	| "RESERVATION_NOT_FOUND"
	| "ORDER_NOT_FOUND"
	| "PAYMENT_NOT_FOUND";
export type ConflictType =
	| "SKU_TAKEN"
	| "EMAIL_TAKEN"
	| "RESERVATION_FINALISED"
	| "RESERVATION_MISMATCH"
	| "STOCK_CHANGED_CONCURRENTLY"
	| "ORDER_ALREADY_FINAL";
export type UnauthorizedType = "INVALID_CREDENTIALS" | "TOKEN_MISSING" | "TOKEN_INVALID" | "TOKEN_EXPIRED";
export type ForbiddenType = "ROLE_FORBIDDEN";
export type UnprocessableType =
	| "UNKNOWN_PRODUCT_IN_ORDER"
	| "MIXED_CURRENCIES"
	| "REPLAY_NEEDS_KAFKA"
	| "TOPIC_NOT_CONSUMED"
	| "REPLAY_START_REQUIRED";

export class NotFoundError extends Errors.MoleculerClientError {
	constructor(type: NotFoundType, message: string, data?: unknown) {
		super(message, 404, type, data);
	}
}

export class ConflictError extends Errors.MoleculerClientError {
	constructor(type: ConflictType, message: string, data?: unknown) {
		super(message, 409, type, data);
	}
}

export class UnauthorizedError extends Errors.MoleculerClientError {
	constructor(type: UnauthorizedType, message: string) {
		super(message, 401, type);
	}
}

export class ForbiddenError extends Errors.MoleculerClientError {
	constructor(type: ForbiddenType, message: string) {
		super(message, 403, type);
	}
}

export class UnprocessableError extends Errors.MoleculerClientError {
	constructor(type: UnprocessableType, message: string, data?: unknown) {
		super(message, 422, type, data);
	}
}

/** The service's own database could not be reached; the caller may try again. */
export class StoreUnavailableError extends Errors.MoleculerRetryableError {
	constructor(service: string, cause: unknown) {
		super(`The ${service} store is unavailable`, 503, "STORE_UNAVAILABLE", {
			cause: cause instanceof Error ? cause.message : String(cause),
		});
	}
}
