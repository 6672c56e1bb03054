import { randomUUID } from "node:crypto";
import { StoreUnavailableError } from "../../lib/errors";
import type { Collection } from "../../mixins/store.mixin";

/*
 * A simulated card processor, deterministic for tests: `tok_visa` is approved, `tok_decline` is
 * declined, `tok_slow` is approved after a configurable delay; any other token is declined. Like a
 * real processor it de-duplicates on an idempotency key: a repeated charge or refund with the
 * same key returns the first result and moves no money again. It keeps its books in a store that
 * every payments replica shares, the way a real processor's API is one system behind all of them,
 * so a replica that dies mid-charge cannot lead another to charge the same order twice.
 */

export interface ChargeRequest {
	idempotencyKey: string;
	amountCents: number;
	currency: string;
	method: string;
}

export type ChargeResult = { approved: true; reference: string } | { approved: false; reason: "DECLINED" };

/** One processed request, approved or not, under its idempotency key. */
export interface ProcessorRecord {
	[key: string]: unknown;
	_id: string;
	kind: "charge" | "refund";
	key: string;
	approved: boolean;
	amountCents: number;
	reference?: string;
	createdAt: string;
}

/** Money actually moved, one entry per distinct approved charge or refund: what tests count. */
export interface LedgerEntry {
	kind: "charge" | "refund";
	key: string;
	amountCents: number;
	reference: string;
}

/** Where the processor keeps its records; `add` is false when the id was there first. */
export interface ProcessorBooks {
	get(id: string): Promise<ProcessorRecord | null>;
	add(record: ProcessorRecord): Promise<boolean>;
	all(): Promise<ProcessorRecord[]>;
}

/** Books kept in a store collection; looked up on each use, as the store connects after creation. */
export function booksIn(collection: () => Collection<ProcessorRecord>): ProcessorBooks {
	return {
		get: (id) => collection().findOne({ _id: id }),
		add: (record) => collection().insertIfAbsent(record),
		all: () => collection().find({ sort: ["createdAt"] }),
	};
}

function chargeResult(record: ProcessorRecord): ChargeResult {
	return record.approved && record.reference ? { approved: true, reference: record.reference } : { approved: false, reason: "DECLINED" };
}

export class SimulatedProvider {
	/** Same-process callers with one key share one call instead of racing to the books. */
	private readonly inFlight = new Map<string, Promise<ProcessorRecord>>();

	constructor(
		private readonly books: ProcessorBooks,
		private readonly slowCardDelayMs: number,
	) {}

	async charge(request: ChargeRequest): Promise<ChargeResult> {
		return chargeResult(
			await this.once("charge", request.idempotencyKey, async () => {
				if (request.method === "tok_slow") await new Promise((resolve) => setTimeout(resolve, this.slowCardDelayMs));
				const approved = request.method === "tok_visa" || request.method === "tok_slow";
				return { approved, amountCents: request.amountCents, ...(approved ? { reference: `ch_${randomUUID()}` } : {}) };
			}),
		);
	}

	async refund(idempotencyKey: string, amountCents: number): Promise<string> {
		const record = await this.once("refund", idempotencyKey, async () => ({ approved: true, amountCents, reference: `re_${randomUUID()}` }));
		return record.reference!;
	}

	async ledger(): Promise<LedgerEntry[]> {
		return (await this.books.all())
			.filter((record) => record.approved)
			.map(({ kind, key, amountCents, reference }) => ({ kind, key, amountCents, reference: reference! }));
	}

	/** The first result ever recorded for this kind and key; only that one moved money. */
	private once(
		kind: ProcessorRecord["kind"],
		key: string,
		process: () => Promise<Pick<ProcessorRecord, "approved" | "amountCents" | "reference">>,
	): Promise<ProcessorRecord> {
		const id = `${kind}:${key}`;
		let pending = this.inFlight.get(id);
		if (!pending) {
			pending = (async () => {
				const earlier = await this.books.get(id);
				if (earlier) return earlier;
				const record: ProcessorRecord = { _id: id, kind, key, ...(await process()), createdAt: new Date().toISOString() };
				if (await this.books.add(record)) return record;
				// Another replica recorded this key while we were processing: its result stands.
				const first = await this.books.get(id);
				if (!first) throw new StoreUnavailableError("payments processor", `record ${id} reported as taken but not found`);
				return first;
			})().finally(() => this.inFlight.delete(id));
			this.inFlight.set(id, pending);
		}
		return pending;
	}
}
