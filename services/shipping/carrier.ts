import { randomInt } from "node:crypto";
import type { Address, Tracking } from "../../contracts";
import { CarrierUnavailableError, StoreUnavailableError } from "../../lib/errors";
import type { Collection } from "../../mixins/store.mixin";

/*
 * A carrier sandbox, deterministic for tests, as services/payment-sandbox is for cards. Its behaviour
 * is chosen by the destination's postal code:
 *   00000  refused: the carrier will not deliver there (the order is compensated and cancelled);
 *   99999  slow: answers after CARRIER_SLOW_MS;
 *   99990  silent: never answers (the call times out, is tried again, and the saga's step timeout
 *          cancels the order);
 *   any other: booked at once.
 * A booked parcel is collected CARRIER_DISPATCH_AFTER_MS after booking (IN_TRANSIT) and delivered
 * CARRIER_DELIVER_AFTER_MS after booking (DELIVERED); shipping polls it, as one polls a real
 * carrier's tracking API. Like a real carrier's API it de-duplicates on an idempotency key (the
 * order id): a booking sent twice books one parcel, and a voided key books nothing afterwards. It
 * keeps its books in a store every shipping replica shares, as a real carrier is one system behind
 * all of them.
 */

export const CARRIER_NAME = "Sandbox Parcel";
export const REFUSED_POSTAL_CODE = "00000";
export const SLOW_POSTAL_CODE = "99999";
export const SILENT_POSTAL_CODE = "99990";

export interface BookingRequest {
	key: string;
	address: Address;
	weightGrams: number;
	service: string;
}

export type BookingResult = { accepted: true; tracking: Tracking } | { accepted: false; reason: string };

/** Where a parcel is as the carrier reports it, with when each step happened. */
export interface ParcelTrack {
	status: "LABELLED" | "IN_TRANSIT" | "DELIVERED" | "VOIDED";
	dispatchedAt?: string;
	deliveredAt?: string;
}

/** The carrier's record of one booking key: a parcel it took, one it refused, or a voided key. */
export interface ParcelRecord {
	[key: string]: unknown;
	_id: string;
	accepted: boolean;
	reason?: string;
	tracking?: Tracking;
	bookedAtMs: number;
	voided: boolean;
	createdAt: string;
}

export interface CarrierClock {
	slowMs: number;
	dispatchAfterMs: number;
	deliverAfterMs: number;
}

/** The answer of `work`, or CARRIER_UNAVAILABLE when none comes within `timeoutMs`. */
export async function answerWithin<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new CarrierUnavailableError(CARRIER_NAME, `no answer within ${timeoutMs} ms`)), timeoutMs);
	});
	try {
		return await Promise.race([work, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

function normalised(postalCode: string): string {
	return postalCode.replace(/\s+/g, "").toUpperCase();
}

function trackingNumber(): string {
	return `SP${String(randomInt(0, 1e9)).padStart(9, "0")}${String(randomInt(0, 1e3)).padStart(3, "0")}DE`;
}

export class SandboxCarrier {
	constructor(
		private readonly books: () => Collection<ParcelRecord>,
		private readonly clock: CarrierClock,
	) {}

	async book(request: BookingRequest): Promise<BookingResult> {
		const postalCode = normalised(request.address.postalCode);
		if (postalCode === SILENT_POSTAL_CODE) return new Promise<never>(() => undefined);
		if (postalCode === SLOW_POSTAL_CODE) await new Promise((resolve) => setTimeout(resolve, this.clock.slowMs));
		const earlier = await this.books().findOne({ _id: request.key });
		if (earlier) return this.resultOf(earlier);
		const now = Date.now();
		const accepted = postalCode !== REFUSED_POSTAL_CODE;
		const record: ParcelRecord = {
			_id: request.key,
			accepted,
			...(accepted
				? {
						tracking: {
							carrier: CARRIER_NAME,
							trackingNumber: trackingNumber(),
							label: `LBL-${request.service.toUpperCase()}-${request.key.slice(0, 8)}`,
						},
					}
				: { reason: "ADDRESS_NOT_DELIVERABLE" }),
			bookedAtMs: now,
			voided: false,
			createdAt: new Date(now).toISOString(),
		};
		if (await this.books().insertIfAbsent(record)) return this.resultOf(record);
		return this.resultOf(await this.recordOf(request.key));
	}

	/** Cancels the label of `key`; a key not booked yet is voided too, so a late booking of it takes nothing. */
	async void(key: string): Promise<void> {
		const now = Date.now();
		if (
			await this.books().insertIfAbsent({
				_id: key,
				accepted: false,
				reason: "VOIDED",
				bookedAtMs: now,
				voided: true,
				createdAt: new Date(now).toISOString(),
			})
		)
			return;
		await this.books().update({ _id: key }, { $set: { voided: true } });
	}

	async track(key: string, now = Date.now()): Promise<ParcelTrack> {
		const record = await this.recordOf(key);
		if (record.voided || !record.accepted) return { status: "VOIDED" };
		const at = (afterMs: number) => new Date(record.bookedAtMs + afterMs).toISOString();
		const dispatched = now >= record.bookedAtMs + this.clock.dispatchAfterMs;
		const delivered = now >= record.bookedAtMs + this.clock.deliverAfterMs;
		if (delivered) return { status: "DELIVERED", dispatchedAt: at(this.clock.dispatchAfterMs), deliveredAt: at(this.clock.deliverAfterMs) };
		if (dispatched) return { status: "IN_TRANSIT", dispatchedAt: at(this.clock.dispatchAfterMs) };
		return { status: "LABELLED" };
	}

	private resultOf(record: ParcelRecord): BookingResult {
		if (record.voided) return { accepted: false, reason: "BOOKING_VOIDED" };
		return record.accepted && record.tracking ? { accepted: true, tracking: record.tracking } : { accepted: false, reason: record.reason ?? "REFUSED" };
	}

	private async recordOf(key: string): Promise<ParcelRecord> {
		const record = await this.books().findOne({ _id: key });
		if (!record) throw new StoreUnavailableError("shipping carrier", `parcel ${key} reported as booked but not found`);
		return record;
	}
}
