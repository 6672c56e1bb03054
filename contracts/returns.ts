/*
 * Returns: within the return window after delivery, a customer sends back some or all of an
 * order's lines; once the shop has received them, their stock goes back on sale and their amount
 * is refunded (shipping too, when the whole order has come back).
 */

export const RETURN_STATUSES = ["REQUESTED", "RECEIVED", "REFUNDED"] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

export interface ReturnLine {
	productId: string;
	qty: number;
	/** The line's unit price times the quantity sent back. */
	refundCents: number;
}

export interface OrderReturn {
	/** `r1`, `r2`…: the order's returns in the order they were asked for. */
	id: string;
	status: ReturnStatus;
	items: ReturnLine[];
	/** What is refunded once the return is received: its lines, and shipping when it completes the order's return. */
	refundCents: number;
	/** This return brings back the last of the order: its shipping is refunded too. */
	includesShipping: boolean;
	requestedAt: string;
	receivedAt?: string;
	refundedAt?: string;
}

/** POST /api/orders/:id/returns: what the customer sends back. */
export interface RequestReturnParams {
	id: string;
	items: { productId: string; qty: number }[];
}

/** POST /api/admin/orders/:id/returns/:returnId/receive: the parcel is back at the shop. */
export interface ReceiveReturnParams {
	id: string;
	returnId: string;
}
