import type { Address, OrderPaid, OutboxEvent, Shipment, ShipmentStatus, TraceCarrier, Tracking } from "../../contracts";
import { newEvent, type NewEvent } from "../../mixins/events/envelope";
import type { BookingResult, ParcelTrack } from "./carrier";

/*
 * The shipment's rules as a pure decider, like the payment's: the shipment as read, a command and
 * the time give the move to write (status, fields, history reason, events) or what else to do.
 * The service writes a move with a compare-and-set on the status it was decided on (and on who
 * holds a booking), so two calls never both apply.
 */

/** One shipment per order: the orderId is the document id and the carrier's idempotency key. */
export type ShipmentDoc = Omit<Shipment, "orderId"> & {
	[key: string]: unknown;
	_id: string;
	/** The address the label is printed for. */
	address: Address;
	/** The order was cancelled while its booking was in flight: void the label once it exists. */
	cancelRequested: boolean;
	/** When the current booking call began; a node that died mid-call leaves it stale (0: free to try again). */
	busySinceMs?: number;
	/** When to ask the carrier next where a parcel on its way is. */
	nextTrackAtMs?: number;
	outbox?: OutboxEvent[];
	trace?: TraceCarrier;
};

export function newShipment(event: OrderPaid, now: Date): ShipmentDoc {
	const at = now.toISOString();
	const { country, postalCode } = event.shippingAddress;
	return {
		_id: event.orderId,
		customerId: event.customerId,
		status: "PENDING",
		optionId: event.shipping.optionId,
		weightGrams: event.shipping.weightGrams,
		destination: { country, postalCode },
		address: event.shippingAddress,
		cancelRequested: false,
		history: [{ status: "PENDING", at, reason: "ORDER_PAID" }],
		createdAt: at,
		updatedAt: at,
	};
}

/** A shipment the order was cancelled before: it stops a late `order.paid` from booking a parcel. */
export function voidedShipment(orderId: string, customerId: string, now: Date, reason: string): ShipmentDoc {
	const at = now.toISOString();
	return {
		_id: orderId,
		customerId,
		status: "VOIDED",
		optionId: "none",
		weightGrams: 0,
		destination: { country: "", postalCode: "" },
		address: { name: "", line1: "", city: "", postalCode: "", country: "" },
		cancelRequested: false,
		history: [{ status: "VOIDED", at, reason }],
		createdAt: at,
		updatedAt: at,
	};
}

export type ShipmentCommand =
	/** Begin the booking: claim the shipment for the carrier call. */
	| { type: "BOOK" }
	/** What the carrier answered to the booking this node claimed. */
	| { type: "BOOK_ANSWERED"; result: BookingResult }
	/** The carrier did not answer: free the booking for the next attempt (same key, so safe). */
	| { type: "BOOK_UNANSWERED"; error: string }
	/** The order was cancelled: undo whatever the shipment has reached. */
	| { type: "CANCEL"; reason: string }
	/** The carrier voided the label this node asked it to. */
	| { type: "VOID_DONE" }
	/** Where the carrier says the parcel is. */
	| { type: "TRACKED"; track: ParcelTrack };

export type ShipmentDecision =
	| { kind: "move"; to: ShipmentStatus; reason: string; set: Record<string, unknown>; events: NewEvent[] }
	/** The booking is in flight: note the cancel, and void the label once it exists. */
	| { kind: "noteCancel" }
	/** A label exists: ask the carrier to void it. */
	| { kind: "void" }
	/** The parcel has not moved on: ask the carrier again at `atMs`. */
	| { kind: "trackLater"; atMs: number }
	| { kind: "ignore" };

const IGNORE: ShipmentDecision = { kind: "ignore" };
const move = (to: ShipmentStatus, reason: string, set: Record<string, unknown> = {}, events: NewEvent[] = []): ShipmentDecision => ({
	kind: "move",
	to,
	reason,
	set,
	events,
});

/** Whether this node may start (or, after a dead node, restart) the carrier call. */
export function mayBook(doc: Pick<ShipmentDoc, "status" | "busySinceMs">, now: number, staleAfterMs: number): boolean {
	if (doc.status === "PENDING") return true;
	return doc.status === "BOOKING" && (doc.busySinceMs ?? 0) + staleAfterMs <= now;
}

export function decideShipment(
	doc: ShipmentDoc,
	command: ShipmentCommand,
	now: number,
	settings: { staleAfterMs: number; trackEveryMs: number },
): ShipmentDecision {
	const common = { orderId: doc._id, customerId: doc.customerId };
	switch (command.type) {
		case "BOOK":
			if (!mayBook(doc, now, settings.staleAfterMs)) return IGNORE;
			return move("BOOKING", doc.status === "PENDING" ? "BOOKING_STARTED" : "BOOKING_RETRIED", { busySinceMs: now });
		case "BOOK_ANSWERED": {
			if (doc.status !== "BOOKING") return IGNORE;
			const { result } = command;
			if (result.accepted) {
				return move("LABELLED", "CARRIER_ACCEPTED", { tracking: result.tracking, nextTrackAtMs: now + settings.trackEveryMs }, [
					newEvent("shipment.booked", { ...common, tracking: result.tracking }, doc._id),
				]);
			}
			// A key voided for a cancelled order refuses the booking: that is the cancel, not the carrier's refusal.
			if (doc.cancelRequested) return move("VOIDED", "ORDER_CANCELLED");
			return move("REFUSED", result.reason, { refusedReason: result.reason }, [
				newEvent("shipment.refused", { ...common, reason: result.reason }, doc._id),
			]);
		}
		case "BOOK_UNANSWERED":
			return doc.status === "BOOKING" ? move("BOOKING", "CARRIER_NO_ANSWER", { busySinceMs: 0 }) : IGNORE;
		case "CANCEL":
			switch (doc.status) {
				case "PENDING":
					return move("VOIDED", command.reason);
				case "BOOKING":
					return doc.cancelRequested ? IGNORE : { kind: "noteCancel" };
				case "LABELLED":
					return { kind: "void" };
				default:
					return IGNORE;
			}
		case "VOID_DONE":
			return doc.status === "LABELLED" || doc.status === "BOOKING"
				? move("VOIDED", "LABEL_VOIDED", { cancelRequested: false, nextTrackAtMs: null })
				: IGNORE;
		case "TRACKED":
			return tracked(doc, command.track, now, settings.trackEveryMs);
	}
}

/** One step along the parcel's way at a time: collected, then delivered; the sweep asks again for the next. */
function tracked(doc: ShipmentDoc, track: ParcelTrack, now: number, trackEveryMs: number): ShipmentDecision {
	const tracking = doc.tracking as Tracking;
	const common = { orderId: doc._id, customerId: doc.customerId, tracking };
	if (doc.status === "LABELLED" && (track.status === "IN_TRANSIT" || track.status === "DELIVERED")) {
		const at = track.dispatchedAt!;
		return move("IN_TRANSIT", "CARRIER_COLLECTED", { nextTrackAtMs: track.status === "DELIVERED" ? now : now + trackEveryMs }, [
			newEvent("shipment.dispatched", { ...common, at }, doc._id),
		]);
	}
	if (doc.status === "IN_TRANSIT" && track.status === "DELIVERED") {
		return move("DELIVERED", "CARRIER_DELIVERED", { nextTrackAtMs: null }, [
			newEvent("shipment.delivered", { ...common, at: track.deliveredAt! }, doc._id),
		]);
	}
	if ((doc.status === "LABELLED" || doc.status === "IN_TRANSIT") && track.status !== "VOIDED") {
		return { kind: "trackLater", atMs: now + trackEveryMs };
	}
	return IGNORE;
}

export function toShipment(doc: ShipmentDoc): Shipment {
	return {
		orderId: doc._id,
		customerId: doc.customerId,
		status: doc.status,
		optionId: doc.optionId,
		weightGrams: doc.weightGrams,
		destination: doc.destination,
		...(doc.tracking ? { tracking: doc.tracking } : {}),
		...(doc.refusedReason ? { refusedReason: doc.refusedReason } : {}),
		history: doc.history,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}
