/*
 * The API's errors ({ error: { type, message, code, data } }) as a person reads them: a sentence
 * for the type, and for a validation failure one message per field, so a form can show each next
 * to the input it is about.
 */

export interface FieldProblem {
	field: string;
	message: string;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly type: string,
		message: string,
		/** Per field, for VALIDATION_ERROR: `shippingAddress.postalCode` → its message. */
		readonly fields: Readonly<Record<string, string>> = {},
		readonly data?: unknown,
	) {
		super(message);
		this.name = "ApiError";
	}
}

/** Sentences for the types the storefront meets; the API's own message otherwise (it is written for people too). */
const WORDS: Readonly<Record<string, string>> = {
	NETWORK: "The shop could not be reached. Check the connection and try again.",
	VALIDATION_ERROR: "Some of the details are not right; see the fields marked.",
	INVALID_CREDENTIALS: "The email or the password is wrong.",
	EMAIL_TAKEN: "An account with this email already exists. Log in instead.",
	TOKEN_MISSING: "Please log in first.",
	TOKEN_INVALID: "Your session is no longer valid; please log in again.",
	TOKEN_EXPIRED: "Your session has ended; please log in again.",
	ROLE_FORBIDDEN: "This page is for the shop's staff.",
	RATE_LIMIT_EXCEEDED: "Too many attempts from this address. Wait a minute, then try again.",
	TOO_MANY_STREAMS: "Too many live order pages are open. Close one, then reload this page.",
	QUEUE_FULL: "The shop is very busy. Try again in a moment.",
	SERVICE_UNAVAILABLE: "Part of the shop is unavailable right now. Try again in a moment.",
	STORE_UNAVAILABLE: "Part of the shop is unavailable right now. Try again in a moment.",
	REQUEST_TIMEOUT: "The shop took too long to answer. Try again.",
	PRODUCT_NOT_FOUND: "This product does not exist, or is no longer sold.",
	ORDER_NOT_FOUND: "There is no such order in your account.",
	ORDER_ALREADY_FINAL: "This order can no longer be cancelled.",
	ORDER_ALREADY_LABELLED:
		"The parcel is already labelled for the carrier, so the order can no longer be cancelled. Once it arrives, send it back as a return.",
	ORDER_NOT_DELIVERED: "Only a delivered order can be returned.",
	RETURN_WINDOW_CLOSED: "The time to return this order has passed.",
	RETURN_QTY_TOO_LARGE: "That is more than is left to return of this order.",
	RETURN_LINE_NOT_IN_ORDER: "Only what this order holds can be returned.",
	NO_SHIPPING_OPTION: "The shop cannot ship this order to that address (too far, or too heavy for one parcel).",
	UNKNOWN_SHIPPING_OPTION: "The shop has no such shipping option. Choose one of those shown.",
	SHIPPING_OPTION_UNAVAILABLE: "The shipping option chosen does not reach this address any more. Choose another one.",
	SHIPPING_PRICE_CHANGED: "The price of the shipping option changed since it was shown. Check the new price, then place the order.",
	CART_FULL: "The cart holds as many different products as it can (50). Remove one to add another.",
	CART_EMPTY: "The cart is empty.",
	CART_LINE_UNAVAILABLE: "A product in the cart is no longer sold. Remove it, then place the order.",
	CART_STOCK_SHORT: "There is not enough stock for a product in the cart. Lower its quantity, then place the order.",
	CART_CHANGED_CONCURRENTLY: "The cart changed in another window at the same moment. Try again.",
	MIXED_CURRENCIES: "Products priced in different currencies cannot be in one cart or order.",
	LINE_QTY_TOO_LARGE: "At most 100 of one product can be ordered at once.",
	UNKNOWN_PRODUCT_IN_ORDER: "A product in the order does not exist any more.",
	IDEMPOTENCY_KEY_BUSY: "This order is being placed already; wait a moment.",
	IDEMPOTENCY_KEY_REUSED:
		"An order may already have been placed with the details sent before this change. Check your orders before trying again with the new details.",
	NOT_FOUND: "Not found.",
	INTERNAL_ERROR: "Something went wrong in the shop. Try again.",
};

export function describeType(type: string, fallback: string): string {
	return WORDS[type] ?? fallback;
}

interface ErrorBody {
	error?: { type?: unknown; message?: unknown; data?: unknown };
}

export function toApiError(status: number, body: unknown): ApiError {
	const error = (typeof body === "object" && body !== null ? (body as ErrorBody).error : undefined) ?? {};
	const type = typeof error.type === "string" ? error.type : status >= 500 ? "INTERNAL_ERROR" : "ERROR";
	const message = describeType(type, typeof error.message === "string" && error.message ? error.message : `The shop answered ${status}.`);
	const fields: Record<string, string> = {};
	if (type === "VALIDATION_ERROR" && Array.isArray(error.data)) {
		for (const item of error.data as { field?: unknown; message?: unknown }[]) {
			if (typeof item.field === "string" && typeof item.message === "string") fields[item.field] ??= item.message;
		}
	}
	return new ApiError(status, type, message, fields, error.data);
}

/** Any failure as an ApiError: a bug in the app is reported, not shown as a blank page. */
export function asApiError(err: unknown): ApiError {
	if (err instanceof ApiError) return err;
	console.error(err);
	return new ApiError(0, "INTERNAL_ERROR", WORDS.INTERNAL_ERROR!);
}
