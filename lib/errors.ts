import { Errors } from "moleculer";

/*
 * Every failure a handler raises is one of these. The class fixes the HTTP status and whether
 * Moleculer may retry it; the SCREAMING_SNAKE type names the rule that was broken, so a client
 * can branch on `error.type` without parsing messages.
 */

export type NotFoundType =
	"PRODUCT_NOT_FOUND" | "CUSTOMER_NOT_FOUND" | "RESERVATION_NOT_FOUND" | "ORDER_NOT_FOUND" | "PAYMENT_NOT_FOUND" | "SHIPMENT_NOT_FOUND" | "RETURN_NOT_FOUND";
export type ConflictType =
	| "SKU_TAKEN"
	| "EMAIL_TAKEN"
	| "RESERVATION_FINALISED"
	| "RESERVATION_MISMATCH"
	| "STOCK_CHANGED_CONCURRENTLY"
	| "STOCK_NOT_AS_EXPECTED"
	| "ORDER_ALREADY_FINAL"
	| "IDEMPOTENCY_KEY_BUSY"
	| "CART_FULL"
	| "CART_EMPTY"
	| "CART_LINE_UNAVAILABLE"
	| "CART_STOCK_SHORT"
	| "CART_CHANGED_CONCURRENTLY"
	| "SHIPPING_OPTION_UNAVAILABLE"
	| "SHIPPING_PRICE_CHANGED"
	| "ORDER_ALREADY_LABELLED"
	| "ORDER_NOT_DELIVERED"
	| "RETURN_WINDOW_CLOSED"
	| "RETURN_ALREADY_RECEIVED"
	| "RETURN_CHANGED_CONCURRENTLY"
	| "RETURN_NOT_REFUNDABLE";
export type UnauthorizedType = "INVALID_CREDENTIALS" | "TOKEN_MISSING" | "TOKEN_INVALID" | "TOKEN_EXPIRED";
export type ForbiddenType = "ROLE_FORBIDDEN";
export type TooManyRequestsType = "TOO_MANY_STREAMS";
export type UnprocessableType =
	| "UNKNOWN_PRODUCT_IN_ORDER"
	| "MIXED_CURRENCIES"
	| "REPLAY_NEEDS_KAFKA"
	| "TOPIC_NOT_CONSUMED"
	| "REPLAY_START_REQUIRED"
	| "LINE_QTY_TOO_LARGE"
	| "IDEMPOTENCY_KEY_REUSED"
	| "NO_SHIPPING_OPTION"
	| "UNKNOWN_SHIPPING_OPTION"
	| "RETURN_LINE_NOT_IN_ORDER"
	| "RETURN_QTY_TOO_LARGE";
/** The request itself is malformed, whatever it asks for (see services/api/json-body.ts). */
export type BadRequestType =
	| "MALFORMED_JSON"
	| "JSON_TOO_DEEP"
	| "FORBIDDEN_KEY"
	| "BODY_NOT_AN_OBJECT"
	| "BODY_REQUIRED"
	| "UNEXPECTED_BODY"
	| "UNEXPECTED_QUERY"
	| "PARAM_CONFLICT"
	| "INVALID_ENCODING"
	| "IDEMPOTENCY_KEY_INVALID"
	| "LAST_EVENT_ID_INVALID"
	| "WEBHOOK_SIGNATURE_INVALID"
	| "WEBHOOK_EVENT_INVALID";
export type UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE" | "UNSUPPORTED_ENCODING" | "UNSUPPORTED_CHARSET";

/**
 * A client error (the caller's fault) of one status, whose SCREAMING_SNAKE type is one of `Type`.
 * Named, because the name is what another node rebuilds the error from.
 */
function clientError<Type extends string>(status: number, name: string) {
	const ClientError = class extends Errors.MoleculerClientError {
		constructor(type: Type, message: string, data?: unknown) {
			super(message, status, type, data);
			this.name = name;
		}
	};
	Object.defineProperty(ClientError, "name", { value: name });
	return ClientError;
}

export const BadRequestError = clientError<BadRequestType>(400, "BadRequestError");
export const UnauthorizedError = clientError<UnauthorizedType>(401, "UnauthorizedError");
export const ForbiddenError = clientError<ForbiddenType>(403, "ForbiddenError");
export const NotFoundError = clientError<NotFoundType>(404, "NotFoundError");
export const ConflictError = clientError<ConflictType>(409, "ConflictError");
export const UnsupportedMediaTypeError = clientError<UnsupportedMediaType>(415, "UnsupportedMediaTypeError");
export const UnprocessableError = clientError<UnprocessableType>(422, "UnprocessableError");
/** The caller holds as much of something as one caller may; it may try again once it lets go of some. */
export const TooManyRequestsError = clientError<TooManyRequestsType>(429, "TooManyRequestsError");
export type BadRequestError = InstanceType<typeof BadRequestError>;
export type UnauthorizedError = InstanceType<typeof UnauthorizedError>;
export type ForbiddenError = InstanceType<typeof ForbiddenError>;
export type NotFoundError = InstanceType<typeof NotFoundError>;
export type ConflictError = InstanceType<typeof ConflictError>;
export type UnsupportedMediaTypeError = InstanceType<typeof UnsupportedMediaTypeError>;
export type UnprocessableError = InstanceType<typeof UnprocessableError>;
export type TooManyRequestsError = InstanceType<typeof TooManyRequestsError>;

export class PayloadTooLargeError extends Errors.MoleculerClientError {
	constructor(limitBytes: number) {
		super(`The request body is larger than ${limitBytes} bytes`, 413, "PAYLOAD_TOO_LARGE", { limitBytes });
	}
}

/** The path exists, but not for this method; `allow` goes into the Allow header. */
export class MethodNotAllowedError extends Errors.MoleculerClientError {
	constructor(method: string, allow: string[]) {
		super(`${method} is not allowed here; use ${allow.join(", ")}`, 405, "METHOD_NOT_ALLOWED", { allow });
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

/** Services a request needs have no live node yet (or any more); the caller may try again. */
export class ServiceUnavailableError extends Errors.MoleculerRetryableError {
	constructor(missing: string[]) {
		super(`Not available: ${missing.join(", ")}`, 503, "SERVICE_UNAVAILABLE", { missing });
	}
}

/** The carrier did not answer in time; the booking is tried again under the same key. */
export class CarrierUnavailableError extends Errors.MoleculerRetryableError {
	constructor(carrier: string, cause: string) {
		super(`The carrier ${carrier} did not answer: ${cause}`, 503, "CARRIER_UNAVAILABLE", { carrier });
	}
}

/** The card processor did not answer (in time, or at all), or its circuit is open; the call may be tried again under the same key. */
export class ProcessorUnavailableError extends Errors.MoleculerRetryableError {
	constructor(cause: string) {
		super(`The card processor is unavailable: ${cause}`, 503, "PROCESSOR_UNAVAILABLE", { cause });
	}
}

/** The card processor refused a request as malformed (not a card's decline): the shop asked wrongly, and asking again will not help. */
export class ProcessorRejectedError extends Errors.MoleculerError {
	constructor(status: number, code: string, message: string) {
		super(`The card processor refused the request (${status} ${code}): ${message}`, 502, "PROCESSOR_REJECTED", { status, code });
	}
}
