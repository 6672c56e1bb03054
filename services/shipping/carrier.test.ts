import { CarrierUnavailableError } from "../../lib/errors";
import type { Collection } from "../../mixins/store.mixin";
import { answerWithin, REFUSED_POSTAL_CODE, SandboxCarrier, SILENT_POSTAL_CODE, SLOW_POSTAL_CODE, type ParcelRecord } from "./carrier";

/** The carrier's books in memory, with the store's insert-if-absent and update. */
function memoryBooks(): Collection<ParcelRecord> {
	const docs = new Map<string, ParcelRecord>();
	return {
		findOne: async (query: { _id: string }) => structuredClone(docs.get(query._id) ?? null),
		insertIfAbsent: async (doc: ParcelRecord) => (docs.has(doc._id) ? false : (docs.set(doc._id, structuredClone(doc)), true)),
		update: async (query: { _id: string }, update: { $set: Partial<ParcelRecord> }) => {
			const doc = docs.get(query._id);
			if (!doc) return 0;
			Object.assign(doc, update.$set);
			return 1;
		},
	} as unknown as Collection<ParcelRecord>;
}

const CLOCK = { slowMs: 50, dispatchAfterMs: 1000, deliverAfterMs: 5000 };
const address = (postalCode: string) => ({ name: "Ada", line1: "1 Street", city: "Berlin", postalCode, country: "DE" });
const request = (key: string, postalCode = "10115") => ({ key, address: address(postalCode), weightGrams: 700, service: "standard" });

describe("SandboxCarrier", () => {
	let carrier: SandboxCarrier;
	beforeEach(() => {
		const books = memoryBooks();
		carrier = new SandboxCarrier(() => books, CLOCK);
	});

	it("books a parcel with a tracking number and a label, once per key however often it is asked", async () => {
		const first = await carrier.book(request("o1"));
		expect(first).toEqual({
			accepted: true,
			tracking: { carrier: "Sandbox Parcel", trackingNumber: expect.stringMatching(/^SP\d{12}DE$/), label: "LBL-STANDARD-o1" },
		});
		expect(await carrier.book(request("o1"))).toEqual(first);
		expect(await carrier.book(request("o2"))).not.toEqual(first);
	});

	it("refuses its refused postal code, and keeps refusing it under that key", async () => {
		expect(await carrier.book(request("o1", REFUSED_POSTAL_CODE))).toEqual({ accepted: false, reason: "ADDRESS_NOT_DELIVERABLE" });
		expect(await carrier.book(request("o1", REFUSED_POSTAL_CODE))).toEqual({ accepted: false, reason: "ADDRESS_NOT_DELIVERABLE" });
	});

	it("answers its slow postal code after its delay", async () => {
		const started = Date.now();
		expect(await carrier.book(request("o1", SLOW_POSTAL_CODE))).toMatchObject({ accepted: true });
		expect(Date.now() - started).toBeGreaterThanOrEqual(CLOCK.slowMs - 5);
	});

	it("never answers its silent postal code: the caller's time limit ends the call", async () => {
		await expect(answerWithin(50, carrier.book(request("o1", SILENT_POSTAL_CODE)))).rejects.toBeInstanceOf(CarrierUnavailableError);
	});

	it("books nothing under a key voided before the booking came", async () => {
		await carrier.void("o1");
		expect(await carrier.book(request("o1"))).toEqual({ accepted: false, reason: "BOOKING_VOIDED" });
	});

	it("moves a booked parcel on by its clock: labelled, collected, delivered, with when each happened", async () => {
		await carrier.book(request("o1"));
		const booked = (await carrier.track("o1")).status;
		expect(booked).toBe("LABELLED");
		const bookedAt = Date.now();
		expect(await carrier.track("o1", bookedAt + 2000)).toMatchObject({ status: "IN_TRANSIT", dispatchedAt: expect.any(String) });
		const delivered = await carrier.track("o1", bookedAt + 6000);
		expect(delivered.status).toBe("DELIVERED");
		expect(Date.parse(delivered.deliveredAt!) - Date.parse(delivered.dispatchedAt!)).toBe(CLOCK.deliverAfterMs - CLOCK.dispatchAfterMs);
	});

	it("reports a voided label as VOIDED", async () => {
		await carrier.book(request("o1"));
		await carrier.void("o1");
		expect(await carrier.track("o1")).toEqual({ status: "VOIDED" });
	});
});
