import type { OrderPaid, ShipmentStatus } from "../../contracts";
import type { BookingResult, ParcelTrack } from "./carrier";
import { decideShipment, mayBook, newShipment, toShipment, voidedShipment, type ShipmentCommand, type ShipmentDoc } from "./shipment";

const NOW = Date.parse("2030-06-01T10:00:00.000Z");
const SETTINGS = { staleAfterMs: 15_000, trackEveryMs: 5_000 };
const TRACKING = { carrier: "Sandbox Parcel", trackingNumber: "SP1", label: "L1" };
const ADDRESS = { name: "Ada", line1: "1 Street", city: "Berlin", postalCode: "10115", country: "DE" };

const PAID: OrderPaid = {
	id: "e-paid",
	type: "order.paid",
	occurredAt: new Date(NOW).toISOString(),
	aggregateId: "o1",
	correlationId: "o1",
	orderId: "o1",
	customerId: "c1",
	shippingAddress: ADDRESS,
	shipping: { optionId: "standard", name: "Standard", priceCents: 490, days: { min: 2, max: 4 }, weightGrams: 700 },
};

function shipment(status: ShipmentStatus, overrides: Partial<ShipmentDoc> = {}): ShipmentDoc {
	return {
		...newShipment(PAID, new Date(NOW - 1000)),
		status,
		...(status === "LABELLED" || status === "IN_TRANSIT" ? { tracking: TRACKING } : {}),
		...overrides,
	};
}

const ACCEPTED: BookingResult = { accepted: true, tracking: TRACKING };
const REFUSED: BookingResult = { accepted: false, reason: "ADDRESS_NOT_DELIVERABLE" };
const at = (ms: number) => new Date(NOW + ms).toISOString();
const track = (status: ParcelTrack["status"]): ParcelTrack =>
	status === "DELIVERED"
		? { status, dispatchedAt: at(-200), deliveredAt: at(-100) }
		: status === "IN_TRANSIT"
			? { status, dispatchedAt: at(-200) }
			: { status };

/** A decision in short: the status moved to and the events it publishes, or the decision's kind. */
function outcome(doc: ShipmentDoc, command: ShipmentCommand): string {
	const decision = decideShipment(doc, command, NOW, SETTINGS);
	if (decision.kind !== "move") return decision.kind;
	return [decision.to, ...decision.events.map((event) => event.type)].join(" ");
}

const STATUSES: ShipmentStatus[] = ["PENDING", "BOOKING", "LABELLED", "IN_TRANSIT", "DELIVERED", "REFUSED", "VOIDED"];
const busy = { busySinceMs: NOW - 1000 };

/** Status × command: a column per status in STATUSES' order (a BOOKING shipment held by a live call). */
const TABLE: [string, ShipmentCommand, string[]][] = [
	["BOOK", { type: "BOOK" }, ["BOOKING", "ignore", "ignore", "ignore", "ignore", "ignore", "ignore"]],
	[
		"BOOK_ANSWERED accepted",
		{ type: "BOOK_ANSWERED", result: ACCEPTED },
		["ignore", "LABELLED shipment.booked", "ignore", "ignore", "ignore", "ignore", "ignore"],
	],
	[
		"BOOK_ANSWERED refused",
		{ type: "BOOK_ANSWERED", result: REFUSED },
		["ignore", "REFUSED shipment.refused", "ignore", "ignore", "ignore", "ignore", "ignore"],
	],
	["BOOK_UNANSWERED", { type: "BOOK_UNANSWERED", error: "timeout" }, ["ignore", "BOOKING", "ignore", "ignore", "ignore", "ignore", "ignore"]],
	["CANCEL", { type: "CANCEL", reason: "TIMEOUT" }, ["VOIDED", "noteCancel", "void", "ignore", "ignore", "ignore", "ignore"]],
	["VOID_DONE", { type: "VOID_DONE" }, ["ignore", "VOIDED", "VOIDED", "ignore", "ignore", "ignore", "ignore"]],
	["TRACKED labelled", { type: "TRACKED", track: track("LABELLED") }, ["ignore", "ignore", "trackLater", "trackLater", "ignore", "ignore", "ignore"]],
	[
		"TRACKED in transit",
		{ type: "TRACKED", track: track("IN_TRANSIT") },
		["ignore", "ignore", "IN_TRANSIT shipment.dispatched", "trackLater", "ignore", "ignore", "ignore"],
	],
	[
		"TRACKED delivered",
		{ type: "TRACKED", track: track("DELIVERED") },
		["ignore", "ignore", "IN_TRANSIT shipment.dispatched", "DELIVERED shipment.delivered", "ignore", "ignore", "ignore"],
	],
	["TRACKED voided", { type: "TRACKED", track: track("VOIDED") }, ["ignore", "ignore", "ignore", "ignore", "ignore", "ignore", "ignore"]],
];

describe("decideShipment", () => {
	it.each(TABLE.flatMap(([name, command, row]) => STATUSES.map((status, i) => [status, name, command, row[i]!] as const)))(
		"in %s on %s: %s",
		(status, _name, command, expected) => {
			expect(outcome(shipment(status, status === "BOOKING" ? busy : {}), command)).toBe(expected);
		},
	);

	it("claims a booking with the time it began, and retries one a dead node left stale", () => {
		expect(decideShipment(shipment("PENDING"), { type: "BOOK" }, NOW, SETTINGS)).toMatchObject({
			to: "BOOKING",
			reason: "BOOKING_STARTED",
			set: { busySinceMs: NOW },
		});
		const stale = shipment("BOOKING", { busySinceMs: NOW - SETTINGS.staleAfterMs });
		expect(decideShipment(stale, { type: "BOOK" }, NOW, SETTINGS)).toMatchObject({ to: "BOOKING", reason: "BOOKING_RETRIED" });
	});

	it("frees a booking the carrier did not answer, so the next attempt may claim it at once", () => {
		const freed = decideShipment(shipment("BOOKING", busy), { type: "BOOK_UNANSWERED", error: "timeout" }, NOW, SETTINGS);
		expect(freed).toMatchObject({ reason: "CARRIER_NO_ANSWER", set: { busySinceMs: 0 } });
		expect(mayBook({ status: "BOOKING", busySinceMs: 0 }, NOW, SETTINGS.staleAfterMs)).toBe(true);
	});

	it("records the label and when to ask about the parcel, and tells the order with its tracking", () => {
		const decision = decideShipment(shipment("BOOKING", busy), { type: "BOOK_ANSWERED", result: ACCEPTED }, NOW, SETTINGS);
		expect(decision).toMatchObject({ set: { tracking: TRACKING, nextTrackAtMs: NOW + SETTINGS.trackEveryMs } });
		expect(decision.kind === "move" && decision.events[0]).toEqual({
			type: "shipment.booked",
			aggregateId: "o1",
			body: { orderId: "o1", customerId: "c1", tracking: TRACKING },
		});
	});

	it("takes a refusal of a key voided for a cancelled order as the cancel: VOIDED, nothing published", () => {
		const decision = decideShipment(
			shipment("BOOKING", { ...busy, cancelRequested: true }),
			{ type: "BOOK_ANSWERED", result: { accepted: false, reason: "BOOKING_VOIDED" } },
			NOW,
			SETTINGS,
		);
		expect(decision).toMatchObject({ kind: "move", to: "VOIDED", events: [] });
	});

	it("stops asking the carrier about a voided label's parcel", () => {
		const voided = decideShipment(shipment("LABELLED", { nextTrackAtMs: NOW }), { type: "VOID_DONE" }, NOW, SETTINGS);
		expect(voided).toMatchObject({ to: "VOIDED", set: { cancelRequested: false, nextTrackAtMs: null } });
	});

	it("notes a cancel during a booking once", () => {
		expect(outcome(shipment("BOOKING", { ...busy, cancelRequested: true }), { type: "CANCEL", reason: "TIMEOUT" })).toBe("ignore");
	});

	it("reports when the carrier collected and delivered the parcel, and asks again at once when it was delivered meanwhile", () => {
		const collected = decideShipment(shipment("LABELLED"), { type: "TRACKED", track: track("DELIVERED") }, NOW, SETTINGS);
		expect(collected).toMatchObject({ set: { nextTrackAtMs: NOW } });
		expect(collected.kind === "move" && collected.events[0]!.body).toEqual({ orderId: "o1", customerId: "c1", tracking: TRACKING, at: at(-200) });
		const delivered = decideShipment(shipment("IN_TRANSIT"), { type: "TRACKED", track: track("DELIVERED") }, NOW, SETTINGS);
		expect(delivered).toMatchObject({ set: { nextTrackAtMs: null } });
		expect(delivered.kind === "move" && delivered.events[0]!.body).toMatchObject({ at: at(-100) });
	});
});

describe("newShipment and voidedShipment", () => {
	it("opens PENDING for the paid order's address, option and weight", () => {
		expect(toShipment(newShipment(PAID, new Date(NOW)))).toEqual({
			orderId: "o1",
			customerId: "c1",
			status: "PENDING",
			optionId: "standard",
			weightGrams: 700,
			destination: { country: "DE", postalCode: "10115" },
			history: [{ status: "PENDING", at: at(0), reason: "ORDER_PAID" }],
			createdAt: at(0),
			updatedAt: at(0),
		});
	});

	it("leaves a VOIDED record that no booking can claim", () => {
		const voided = voidedShipment("o1", "c1", new Date(NOW), "TIMEOUT");
		expect(voided).toMatchObject({ status: "VOIDED", history: [{ status: "VOIDED", reason: "TIMEOUT" }] });
		expect(outcome(voided, { type: "BOOK" })).toBe("ignore");
	});
});
