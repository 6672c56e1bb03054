import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import Datastore from "@seald-io/nedb";
import type { IntentStatus } from "./intent";
import type { RefundStatus } from "./refund";

/*
 * The sandbox's own books: NeDB files under its data directory (in memory without one), apart
 * from the shop's stores, as a real processor's books are. NeDB's typings are `any` throughout;
 * Table is the typed, promise-only face the rest of the sandbox uses.
 *
 * The API objects are kept as JSON text beside the few fields queried: their metadata keys are
 * the client's, and NeDB refuses field names with a `.` or starting with `$`.
 */

/** Every row has an id and a place in one sequence shared by all tables, newest highest. */
export interface Row {
	_id: string;
	seq: number;
}

export interface IntentRow extends Row {
	status: IntentStatus;
	/** When the clock moves it next (tok_slow, tok_insufficient_funds); null when only a caller does. */
	dueAtMs: number | null;
	/** Opens its 3-D Secure page: whoever has the link may decide, as with a real issuer's page. */
	secret: string;
	returnUrl: string | null;
	json: string;
}

export interface RefundRow extends Row {
	paymentIntent: string;
	status: RefundStatus;
	dueAtMs: number | null;
	json: string;
}

export interface EventRow extends Row {
	type: string;
	json: string;
	delivered: boolean;
	attempts: number;
}

/** One webhook POST still to be made (a retry keeps its row with a later due time). */
export interface DeliveryRow extends Row {
	eventId: string;
	dueAtMs: number;
	/** Due deliveries go out in this order: the event's seq, or minus it for a batch sent newest first. */
	order: number;
	attempt: number;
}

/** The first answer to a request made under an Idempotency-Key (the key is the id). */
export interface IdempotencyRow extends Row {
	fingerprint: string;
	status: number;
	body: string;
}

/** Stripe's id shape: a prefix naming the kind (`pi_`, `re_`, `evt_`) and 24 random hex characters. */
export function newId(prefix: string): string {
	return `${prefix}${randomBytes(12).toString("hex")}`;
}

export type Query = Record<string, unknown>;
export type Sort = Record<string, 1 | -1>;

/** Rewrites the data file (dropping superseded lines) this often while running. */
const COMPACT_EVERY_MS = 60_000;

export class Table<T extends Row> {
	private constructor(private readonly db: Datastore<T>) {}

	static async open<T extends Row>(dataDir: string | undefined, name: string): Promise<Table<T>> {
		const db = new Datastore<T>(dataDir ? { filename: path.join(dataDir, `${name}.db`) } : { inMemoryOnly: true });
		await db.loadDatabaseAsync();
		await db.ensureIndexAsync({ fieldName: "seq" });
		if (dataDir) db.setAutocompactionInterval(COMPACT_EVERY_MS);
		return new Table(db);
	}

	async get(id: string): Promise<T | null> {
		return (await this.db.findOneAsync<T>({ _id: id })) ?? null;
	}

	async insert(row: T): Promise<void> {
		await this.db.insertAsync<T>(row);
	}

	/** Replaces the row of the same id. */
	async put(row: T): Promise<void> {
		await this.db.updateAsync<T>({ _id: row._id }, row, {});
	}

	async update(id: string, set: Partial<T>, increment: Partial<Record<keyof T, number>> = {}): Promise<void> {
		const modifiers = { ...(Object.keys(set).length > 0 ? { $set: set } : {}), ...(Object.keys(increment).length > 0 ? { $inc: increment } : {}) };
		await this.db.updateAsync<T>({ _id: id }, modifiers, {});
	}

	async remove(id: string): Promise<void> {
		await this.db.removeAsync({ _id: id }, {});
	}

	find(query: Query, sort: Sort, limit: number): Promise<T[]> {
		return this.db.findAsync<T>(query).sort(sort).limit(limit);
	}

	async lastSeq(): Promise<number> {
		const [last] = await this.find({}, { seq: -1 }, 1);
		return last?.seq ?? 0;
	}

	/** Waits for every write queued so far and leaves the file compact; the next open reads it whole. */
	async close(): Promise<void> {
		this.db.stopAutocompaction();
		await this.db.compactDatafileAsync();
	}
}

export class SandboxStore {
	private lastSeq = 0;

	private constructor(
		readonly intents: Table<IntentRow>,
		readonly refunds: Table<RefundRow>,
		readonly events: Table<EventRow>,
		readonly deliveries: Table<DeliveryRow>,
		readonly idempotency: Table<IdempotencyRow>,
	) {}

	static async open(dataDir: string | undefined): Promise<SandboxStore> {
		if (dataDir) await fs.mkdir(dataDir, { recursive: true });
		const store = new SandboxStore(
			await Table.open<IntentRow>(dataDir, "intents"),
			await Table.open<RefundRow>(dataDir, "refunds"),
			await Table.open<EventRow>(dataDir, "events"),
			await Table.open<DeliveryRow>(dataDir, "deliveries"),
			await Table.open<IdempotencyRow>(dataDir, "idempotency"),
		);
		// The sequence goes on from where the last run left it, so a restart keeps "newest first".
		for (const table of store.tables()) store.lastSeq = Math.max(store.lastSeq, await table.lastSeq());
		return store;
	}

	nextSeq(): number {
		return ++this.lastSeq;
	}

	async close(): Promise<void> {
		for (const table of this.tables()) await table.close();
	}

	private tables(): Table<Row>[] {
		return [this.intents, this.refunds, this.events, this.deliveries, this.idempotency] as Table<Row>[];
	}
}
