import { asApiError, type ApiError } from "../api/errors";
import type { OrderStatus } from "../api/types";

/*
 * What the console says for the API's refusals. The storefront's sentences (api/errors.ts) are
 * written to a shopper ("your account"); an operator is told what happened to the shop's data
 * and what to do next, so the few types the console meets get their own words here, in the
 * console's chunk.
 */

const ADMIN_WORDS: Readonly<Record<string, string>> = {
	SKU_TAKEN: "Another product already has this SKU. Choose a different SKU.",
	STOCK_CHANGED_CONCURRENTLY:
		"The stock kept changing (orders were reserving it) while it was being set, so it was not changed. Look at the current stock, then try again.",
	ORDER_ALREADY_FINAL: "This order is already cancelled, so it cannot be cancelled again.",
	RETURN_ALREADY_RECEIVED: "This return was marked received already; its refund is under way or done.",
	ORDER_ALREADY_LABELLED: "The carrier already has this order's label, so it cannot be cancelled: the customer returns the parcel instead.",
	ORDER_NOT_FOUND: "There is no order with this id.",
	PRODUCT_NOT_FOUND: "There is no product with this id.",
	PROCESSOR_UNAVAILABLE: "The card processor did not answer, so its books could not be read. Check again in a moment.",
	ROLE_FORBIDDEN: "Your account is not an administrator's, so the shop refused this.",
	VALIDATION_ERROR: "Some of the details are not right; see the fields marked.",
};

/** The error as an ApiError whose message is in the console's words when it has some. */
export function adminError(err: unknown): ApiError {
	const error = asApiError(err);
	if (error.type === "STOCK_NOT_AS_EXPECTED") {
		const now = (error.data as { stock?: number } | undefined)?.stock;
		error.message = `Orders reserved or released stock since this page read it${now === undefined ? "" : `: it is now ${now}`}. Nothing was changed; look at the new figure, then set the stock again.`;
		return error;
	}
	const words = ADMIN_WORDS[error.type];
	if (words) error.message = words;
	return error;
}

export const ORDER_STATUS_WORDS: Readonly<Record<OrderStatus, string>> = {
	PENDING: "Pending (reserving stock)",
	AWAITING_PAYMENT: "Awaiting payment",
	AWAITING_SHIPMENT: "Awaiting shipment (booking the parcel)",
	CONFIRMED: "Confirmed (labelled)",
	SHIPPED: "Shipped",
	DELIVERED: "Delivered",
	CANCELLED: "Cancelled",
};

/** A duration for people: 850 ms, 4.2 s, 3 min 5 s. */
export function duration(ms: number | null | undefined): string {
	if (ms === null || ms === undefined) return "none yet";
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
	// Rounded to the second first, so that 119.6 s is "2 min 0 s", not "1 min 60 s".
	const seconds = Math.round(ms / 1000);
	return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** How long ago an ISO time was, coarse: for "placed 3 min ago" in a list. */
export function age(iso: string, now = Date.now()): string {
	return duration(Math.max(0, now - Date.parse(iso)));
}

/** A call whose refusal comes back in the console's words (for useLoad and the forms). */
export function inWords<T>(request: Promise<T>): Promise<T> {
	return request.catch((err: unknown) => {
		throw adminError(err);
	});
}
