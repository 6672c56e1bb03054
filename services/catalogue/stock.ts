import type { EventBody, OutboxEvent, Reservation, ReservationChange, ReservationStatus, StockLine, TraceCarrier } from "../../contracts";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";
import { mergeLines } from "../../lib/stock-lines";

/*
 * Stock reservations. Available stock lives on the product; a reservation moves quantity from
 * `stock` into `holds.<orderId>` with one conditional update per product, so each step is
 * atomic in the store (NeDB and MongoDB alike), can never take stock below zero, and is
 * idempotent: a hold that exists is not taken again, a hold that is gone is not returned again.
 * The reservation document records the saga's view (status, lines, expiry) and is the
 * idempotency key for the actions.
 */

export interface ReservationDoc {
	[key: string]: unknown;
	_id: string;
	status: ReservationStatus;
	items: StockLine[];
	rejection?: Reservation["rejection"];
	expiresAtMs: number;
	/** False until the holds on the products have been taken, returned or cleared for the status. */
	settled: boolean;
	/**
	 * Every status, pushed in the write that makes the move, so an order's timeline can say when
	 * its stock was held, sold or given back. Absent on reservations stored before it was kept.
	 */
	history?: ReservationChange[];
	/** Events written with this change, waiting for the relay (see mixins/events/outbox.ts). */
	outbox?: OutboxEvent[];
	/**
	 * While PENDING: until when the call taking the holds has them to itself. Another call for the
	 * order (the event delivered again) finishes the work only once this has passed, and claims it
	 * first, so two calls never take holds for one order at once: a hold taken after the order's
	 * holds were decided and settled would be one too many. Absent on reservations stored before.
	 */
	leaseUntilMs?: number;
	/** The trace of the order the stock is held for, which the expiry sweep continues. */
	trace?: TraceCarrier;
	createdAt: string;
	updatedAt: string;
}

/** Statuses after which nothing changes any more. */
export const FINAL_STATUSES: readonly ReservationStatus[] = ["REJECTED", "COMMITTED", "RELEASED", "EXPIRED", "RETURNED"];
export const OPEN_STATUSES: readonly ReservationStatus[] = ["PENDING", "RESERVED"];

/** orderIds become part of a field path (`holds.<orderId>`), so dots and `$` are never allowed. */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function holdPath(orderId: string): string {
	if (!ORDER_ID_PATTERN.test(orderId)) throw new RangeError(`orderId "${orderId}" cannot key a hold`);
	return `holds.${orderId}`;
}

/** Takes `qty` from an active product's stock into a hold, only if enough is there and no hold exists yet. */
export function takeHold(line: StockLine, orderId: string, now: Date) {
	const hold = holdPath(orderId);
	return {
		query: { _id: line.productId, active: true, stock: { $gte: line.qty }, [hold]: { $exists: false } },
		update: { $inc: { stock: -line.qty }, $set: { [hold]: line.qty, updatedAt: now.toISOString() } },
	};
}

/** Puts a hold's quantity back into stock, only if that hold is still there. */
export function returnHold(line: StockLine, orderId: string, now: Date) {
	const hold = holdPath(orderId);
	return {
		query: { _id: line.productId, [hold]: line.qty },
		update: { $inc: { stock: line.qty }, $unset: { [hold]: true }, $set: { updatedAt: now.toISOString() } },
	};
}

/** Puts sold stock back once per order: the `returns.<orderId>` marker makes a repeat a no-op. */
export function restock(line: StockLine, orderId: string, now: Date) {
	const returned = `returns.${holdPath(orderId).slice("holds.".length)}`;
	return {
		query: { _id: line.productId, [returned]: { $exists: false } },
		update: { $inc: { stock: line.qty }, $set: { [returned]: line.qty, updatedAt: now.toISOString() } },
	};
}

/**
 * Puts a customer's return back on sale once: the `returned.<orderId>_<returnId>` marker makes a
 * repeat (a redelivered return.received) a no-op, per product, so a half-done restock finishes.
 */
export function restockReturned(line: StockLine, orderId: string, returnId: string, now: Date) {
	if (!/^r[0-9]{1,4}$/.test(returnId)) throw new RangeError(`returnId "${returnId}" cannot key a return`);
	const marker = `returned.${holdPath(orderId).slice("holds.".length)}_${returnId}`;
	return {
		query: { _id: line.productId, [marker]: { $exists: false } },
		update: { $inc: { stock: line.qty }, $set: { [marker]: line.qty, updatedAt: now.toISOString() } },
	};
}

/** Turns a hold into a sale: the quantity has already left `stock`, so only the hold goes. */
export function clearHold(line: StockLine, orderId: string) {
	const hold = holdPath(orderId);
	return {
		query: { _id: line.productId, [hold]: line.qty },
		update: { $unset: { [hold]: true } },
	};
}

export function newReservation(orderId: string, items: StockLine[], now: Date, ttlMs: number, leaseMs: number): ReservationDoc {
	const at = now.toISOString();
	return {
		_id: orderId,
		status: "PENDING",
		items: mergeLines(items),
		expiresAtMs: now.getTime() + ttlMs,
		leaseUntilMs: now.getTime() + leaseMs,
		settled: false,
		history: [{ status: "PENDING", at, reason: "ORDER_CREATED" }],
		createdAt: at,
		updatedAt: at,
	};
}

export function isExpired(doc: ReservationDoc, now: Date): boolean {
	return OPEN_STATUSES.includes(doc.status) && doc.expiresAtMs <= now.getTime();
}

/** What settling a reservation in its current status does to each product. */
export function settlementFor(status: ReservationStatus): "return" | "clear" | "restock" | "none" {
	switch (status) {
		case "REJECTED":
		case "RELEASED":
		case "EXPIRED":
			return "return";
		case "COMMITTED":
			return "clear";
		case "RETURNED":
			return "restock";
		default:
			return "none";
	}
}

/** The stock event a reservation publishes when it moves to `status`. */
export function stockEventFor(
	doc: Pick<ReservationDoc, "_id" | "items" | "rejection">,
	status: ReservationStatus,
):
	| { type: "stock.reserved"; body: EventBody<"stock.reserved"> }
	| { type: "stock.rejected"; body: EventBody<"stock.rejected"> }
	| { type: "stock.released"; body: EventBody<"stock.released"> }
	| { type: "stock.committed"; body: EventBody<"stock.committed"> }
	| { type: "stock.returned"; body: EventBody<"stock.returned"> }
	| null {
	const orderId = doc._id;
	switch (status) {
		case "RESERVED":
			return { type: "stock.reserved", body: { orderId, items: doc.items } };
		case "REJECTED":
			return {
				type: "stock.rejected",
				body: { orderId, reason: doc.rejection?.reason ?? "OUT_OF_STOCK", productId: doc.rejection?.productId ?? "" },
			};
		case "RELEASED":
		case "EXPIRED":
			return { type: "stock.released", body: { orderId, items: doc.items, reason: status } };
		case "COMMITTED":
			return { type: "stock.committed", body: { orderId, items: doc.items } };
		case "RETURNED":
			return { type: "stock.returned", body: { orderId, items: doc.items } };
		default:
			return null;
	}
}

export type ReservationCommand =
	/** Every line is held on its product. */
	| { type: "HELD" }
	/** A line could not be held (the lines before it are). */
	| { type: "SHORT"; reason: "OUT_OF_STOCK" | "PRODUCT_UNAVAILABLE"; productId: string }
	/** The order will not be paid for: its held stock goes back on sale; `reason` says why (PAYMENT_FAILED, ORDER_CANCELLED). */
	| { type: "RELEASE"; reason?: string }
	/** The order was paid for: its held stock is sold. */
	| { type: "COMMIT" }
	/** A paid order was cancelled: its sold stock goes back on sale. */
	| { type: "RETURN" }
	/** The sweep found the hold past its expiry. */
	| { type: "EXPIRE" };

export type ReservationDecision =
	| { kind: "move"; to: ReservationStatus; set: Partial<ReservationDoc>; entry: ReservationChange; events: NewEvent[] }
	/** The stock is already sold (or sold and returned): it cannot be released. */
	| { kind: "refuse"; status: ReservationStatus }
	/** No move: decided already, by this call or another (the holds may still need settling). */
	| { kind: "stay" };

const STAY: ReservationDecision = { kind: "stay" };

/**
 * The reservation's decider: the reservation as read, a command and the time give the move to
 * write (new status, fields, history entry and the stock event it publishes), a refusal, or nothing to do.
 * A move leaves the products' holds to be settled for the new status (see settlementFor).
 */
export function decideReservation(doc: ReservationDoc, command: ReservationCommand, now: Date): ReservationDecision {
	const move = (to: ReservationStatus, reason: string, extra: Partial<ReservationDoc> = {}): ReservationDecision => {
		const set: Partial<ReservationDoc> = { settled: false, ...extra, status: to, updatedAt: now.toISOString() };
		const event = stockEventFor({ ...doc, ...set }, to);
		const entry = { status: to, at: now.toISOString(), reason };
		return { kind: "move", to, set, entry, events: event ? [newEvent(event.type, event.body as never, doc._id)] : [] };
	};
	switch (command.type) {
		case "HELD":
			return doc.status === "PENDING" ? move("RESERVED", "STOCK_HELD", { settled: true }) : STAY;
		case "SHORT":
			return doc.status === "PENDING" ? move("REJECTED", command.reason, { rejection: { reason: command.reason, productId: command.productId } }) : STAY;
		case "RELEASE":
			if (doc.status === "COMMITTED" || doc.status === "RETURNED") return { kind: "refuse", status: doc.status };
			return doc.status === "RESERVED" ? move("RELEASED", command.reason ?? "RELEASE_REQUESTED") : STAY;
		case "COMMIT":
			if (doc.status !== "RESERVED") return STAY;
			return isExpired(doc, now) ? move("EXPIRED", "HOLD_EXPIRED") : move("COMMITTED", "PAYMENT_SETTLED");
		case "RETURN":
			return doc.status === "COMMITTED" ? move("RETURNED", "ORDER_CANCELLED") : STAY;
		case "EXPIRE":
			return isExpired(doc, now) ? move("EXPIRED", "HOLD_EXPIRED") : STAY;
	}
}

/**
 * The record of an order cancelled before its stock was reserved: a reservation that arrives
 * later for that order finds it and takes nothing.
 */
export function cancelledBeforeReserved(orderId: string, now: Date): ReservationDoc {
	const at = now.toISOString();
	return {
		_id: orderId,
		status: "RELEASED",
		items: [],
		expiresAtMs: now.getTime(),
		settled: true,
		history: [{ status: "RELEASED", at, reason: "ORDER_CANCELLED_FIRST" }],
		createdAt: at,
		updatedAt: at,
	};
}

export function toReservation(doc: ReservationDoc): Reservation {
	return {
		orderId: doc._id,
		status: doc.status,
		items: doc.items,
		...(doc.rejection ? { rejection: doc.rejection } : {}),
		expiresAt: new Date(doc.expiresAtMs).toISOString(),
		history: doc.history ?? historyOf(doc),
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}

/** What a reservation stored before its history was kept can tell: where it began, and its last move. */
function historyOf(doc: Pick<ReservationDoc, "status" | "createdAt" | "updatedAt">): ReservationChange[] {
	const begun: ReservationChange = { status: "PENDING", at: doc.createdAt, reason: "ORDER_CREATED" };
	return doc.status === "PENDING" ? [begun] : [begun, { status: doc.status, at: doc.updatedAt, reason: "UNRECORDED" }];
}
