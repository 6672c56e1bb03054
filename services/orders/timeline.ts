import type {
	Notification,
	Order,
	OrderTimeline,
	Payment,
	PaymentStatus,
	Reservation,
	ReservationStatus,
	Shipment,
	ShipmentStatus,
	TimelineEntry,
	TimelineGap,
	TimelineService,
} from "../../contracts";

/*
 * An order's whole story, composed from what each service recorded about it: the order's status
 * history (orders), the stock reservation's (catalogue), the payment's with its refunds
 * (payments), the shipment's (shipping) and the emails sent (notifications). Pure: the service reads the parts, this
 * merges and sorts them. A part whose service could not answer is named in `missing` rather
 * than failing the whole story, so an operator still sees what is known.
 */

/** What one service told about the order: its answer, or the type of the error it gave. */
export type Part<T> = { ok: true; value: T } | { ok: false; error: string };

export interface TimelineParts {
	order: Order;
	/** null: catalogue has no reservation for the order (yet). */
	reservation: Part<Reservation | null>;
	/** null: payments has no payment for the order (yet). */
	payment: Part<Payment | null>;
	/** null: shipping has no shipment for the order (not paid yet, or placed before the shop shipped). */
	shipment: Part<Shipment | null>;
	notifications: Part<Notification[]>;
}

/**
 * Reads one part; an error becomes a gap named by its type. `absent` is the error type that
 * means "nothing recorded yet" (catalogue.getReservation's RESERVATION_NOT_FOUND), not a failure.
 */
export async function readPart<T>(read: () => Promise<T>, absent?: { type: string; value: T }): Promise<Part<T>> {
	try {
		return { ok: true, value: await read() };
	} catch (err) {
		const { type, name } = (err ?? {}) as { type?: unknown; name?: unknown };
		if (absent && type === absent.type) return { ok: true, value: absent.value };
		return { ok: false, error: typeof type === "string" && type ? type : typeof name === "string" && name ? name : "UNKNOWN_ERROR" };
	}
}

export function composeTimeline({ order, reservation, payment, shipment, notifications }: TimelineParts): OrderTimeline {
	const entries = [...orderEntries(order), ...returnEntries(order)];
	const missing: TimelineGap[] = [];
	const take = <T>(service: TimelineService, part: Part<T>, toEntries: (value: T) => TimelineEntry[]) => {
		if (part.ok) entries.push(...toEntries(part.value));
		else missing.push({ service, error: part.error });
	};
	take("catalogue", reservation, (value) => (value ? reservationEntries(value) : []));
	take("payments", payment, (value) => (value ? paymentEntries(value) : []));
	take("shipping", shipment, (value) => (value ? shipmentEntries(value) : []));
	take("notifications", notifications, (value) => value.map(notificationEntry));
	return { orderId: order.id, customerId: order.customerId, status: order.status, entries: sortEntries(entries), missing };
}

/**
 * Oldest first. Services on one node often write within the same millisecond, so equal times
 * fall back on the saga's causal order (a reservation before the charge it allows, a refund
 * before the order records it), then on each service's own order of its history.
 */
export function sortEntries(entries: TimelineEntry[]): TimelineEntry[] {
	return entries
		.map((entry, index) => ({ entry, index, time: Date.parse(entry.at), stage: stageOf(entry) }))
		.sort((a, b) => a.time - b.time || a.stage - b.stage || a.index - b.index)
		.map(({ entry }) => entry);
}

/** Where in the saga a step comes: only used to order steps recorded at the same instant. */
function stageOf({ service, status, reason }: TimelineEntry): number {
	const stages: Record<TimelineService, Record<string, number>> = {
		orders: {
			PENDING: 0,
			AWAITING_PAYMENT: 3,
			AWAITING_SHIPMENT: 5,
			CONFIRMED: 7,
			SHIPPED: 13,
			DELIVERED: 15,
			CANCELLED: reason === "PAYMENT_REFUNDED" ? 11 : 7,
			RETURN_REQUESTED: 17,
			RETURN_RECEIVED: 18,
			RETURN_REFUNDED: 20,
		},
		catalogue: { PENDING: 1, RESERVED: 2, REJECTED: 2, COMMITTED: 5, RELEASED: 8, EXPIRED: 8, RETURNED: 8 },
		payments: {
			PENDING: 1,
			CHARGING: 3,
			SETTLED: reason === "RETURN_REFUNDED" ? 19 : 4,
			DECLINED: 4,
			VOIDED: 8,
			REFUNDING: 9,
			REFUNDED: reason === "RETURN_REFUNDED" ? 19 : 10,
		},
		shipping: { PENDING: 5, BOOKING: 5, LABELLED: 6, REFUSED: 6, VOIDED: 8, IN_TRANSIT: 12, DELIVERED: 14 },
		notifications: { SENDING: notificationStage(reason), SENT: notificationStage(reason) },
	};
	return stages[service][status] ?? 0;
}

/** An email comes after the step it tells of. */
function notificationStage(kind: string): number {
	return kind === "payment.refunded" ? 12 : kind === "shipment.dispatched" ? 14 : kind === "shipment.delivered" ? 16 : 8;
}

const ORDER_WORDS: Record<Order["status"], string> = {
	PENDING: "order placed",
	AWAITING_PAYMENT: "order awaiting payment",
	AWAITING_SHIPMENT: "order paid, awaiting its shipment",
	CONFIRMED: "order confirmed",
	SHIPPED: "order shipped",
	DELIVERED: "order delivered",
	CANCELLED: "order cancelled",
};

/** Each return's steps, under the orders service that keeps them: asked for, received, refunded. */
function returnEntries(order: Order): TimelineEntry[] {
	return (order.returns ?? []).flatMap((ret) => {
		const units = ret.items.reduce((sum, line) => sum + line.qty, 0);
		const details = { refundCents: ret.refundCents, currency: order.currency };
		const steps: [string | undefined, string, string][] = [
			[ret.requestedAt, "RETURN_REQUESTED", `return ${ret.id} asked for: ${units} unit(s)${ret.includesShipping ? ", the whole order" : ""}`],
			[ret.receivedAt, "RETURN_RECEIVED", `return ${ret.id} received: stock back on sale, refund asked for`],
			[ret.refundedAt, "RETURN_REFUNDED", `return ${ret.id} refunded`],
		];
		return steps.filter(([at]) => at !== undefined).map(([at, status, summary]) => entry("orders", at!, status, ret.id, summary, details));
	});
}

function orderEntries(order: Order): TimelineEntry[] {
	return order.history.map(({ status, at, reason }, index) => {
		const summary =
			reason === "PAYMENT_REFUNDED" ? "refund recorded on the order" : status === "CANCELLED" ? `order cancelled: ${reason}` : ORDER_WORDS[status];
		const details =
			index === 0
				? {
						totalCents: order.totalCents,
						goodsCents: order.goodsCents,
						shippingCents: order.shippingCents,
						currency: order.currency,
						lines: order.items.length,
					}
				: undefined;
		return entry("orders", at, status, reason, summary, details);
	});
}

const RESERVATION_WORDS: Record<ReservationStatus, string> = {
	PENDING: "stock reservation begun",
	RESERVED: "stock reserved",
	REJECTED: "stock refused",
	COMMITTED: "stock sold",
	RELEASED: "stock released",
	EXPIRED: "stock hold expired, released",
	RETURNED: "sold stock returned",
};

function reservationEntries(reservation: Reservation): TimelineEntry[] {
	return reservation.history.map(({ status, at, reason }) => {
		const details: Record<string, string | number> = { lines: reservation.items.length };
		if (status === "REJECTED" && reservation.rejection) details.productId = reservation.rejection.productId;
		return entry("catalogue", at, status, reason, RESERVATION_WORDS[status], details);
	});
}

const PAYMENT_WORDS: Record<PaymentStatus, string> = {
	PENDING: "payment opened",
	CHARGING: "card charge started",
	PROCESSING: "processor working on it",
	ACTION_REQUIRED: "waiting for the customer's confirmation (3-D Secure)",
	SETTLED: "payment charged",
	DECLINED: "card declined",
	VOIDED: "payment voided",
	REFUNDING: "refund started",
	REFUNDED: "payment refunded",
};

function paymentEntries(payment: Payment): TimelineEntry[] {
	return payment.history.map(({ status, at, reason }) => {
		return entry("payments", at, status, reason, PAYMENT_WORDS[status], paymentDetails(payment, status));
	});
}

/** The money of the step: what was asked for, charged (with the provider's reference) or given back. */
function paymentDetails(payment: Payment, status: PaymentStatus): Record<string, string | number> | undefined {
	const money = { amountCents: payment.amountCents, currency: payment.currency };
	switch (status) {
		case "PENDING":
			return { ...money, method: payment.method };
		case "SETTLED":
			return payment.providerRef ? { ...money, providerRef: payment.providerRef } : money;
		case "REFUNDED":
			return { refundedCents: payment.refundedCents, currency: payment.currency };
		default:
			return undefined;
	}
}

const SHIPMENT_WORDS: Record<ShipmentStatus, string> = {
	PENDING: "shipment opened",
	BOOKING: "parcel being booked with the carrier",
	LABELLED: "parcel booked, label printed",
	REFUSED: "carrier refused the parcel",
	VOIDED: "shipment voided",
	IN_TRANSIT: "parcel collected by the carrier",
	DELIVERED: "parcel delivered",
};

function shipmentEntries(shipment: Shipment): TimelineEntry[] {
	return shipment.history.map(({ status, at, reason }) => {
		const details: Record<string, string | number> =
			status === "PENDING"
				? {
						option: shipment.optionId,
						weightGrams: shipment.weightGrams,
						destination: `${shipment.destination.country} ${shipment.destination.postalCode}`,
					}
				: {};
		if (status === "LABELLED" && shipment.tracking)
			Object.assign(details, { carrier: shipment.tracking.carrier, trackingNumber: shipment.tracking.trackingNumber });
		return entry("shipping", at, status, reason, SHIPMENT_WORDS[status], Object.keys(details).length > 0 ? details : undefined);
	});
}

function notificationEntry(notification: Notification): TimelineEntry {
	const sent = notification.status === "SENT" && notification.sentAt !== undefined;
	const summary = `${sent ? "email sent" : "email being sent"}: ${notification.subject}`;
	return entry("notifications", sent ? notification.sentAt! : notification.createdAt, notification.status, notification.kind, summary, {
		to: notification.to,
	});
}

function entry(
	service: TimelineService,
	at: string,
	status: string,
	reason: string,
	summary: string,
	details?: Record<string, string | number>,
): TimelineEntry {
	return { at, service, status, reason, summary, ...(details ? { details } : {}) };
}
