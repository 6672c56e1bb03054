import type { EventEmitter } from "node:events";
import fs from "node:fs";
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { MemoryAdapter, type DbAdapter } from "moleculer-db";
import MongoDbAdapter from "moleculer-db-adapter-mongo";
import type { ShopConfig } from "../lib/env";
import { healthChecksOf } from "../lib/health";
import type { Page, PageParams } from "../contracts";
import { StoreUnavailableError } from "../lib/errors";
import { pageWindow, toPage } from "../lib/paging";
import { judgeServer, UnsafeStoreError } from "./store-server";
import { ioCounts, kindOfMongoCommand, type StoreKind } from "../lib/io-counts";
// The embedded store's appends through one open file per collection (see there why).
import "../lib/nedb-appends";
import "../lib/nedb-candidates";

/*
 * Each service owns its store: NeDB files under DATA_DIR/<service>/ by default, or its own
 * MongoDB database (named after the service) when MONGO_URI is set. Built on moleculer-db's
 * adapters but not on its DbService mixin, for two reasons: DbService publishes generic CRUD
 * actions that accept any field and raw queries (we expose only what each service whitelists),
 * and its start-up retries a dead database forever where we want to fail fast.
 */

export interface IndexSpec {
	field: string;
	unique?: boolean;
	sparse?: boolean;
	/**
	 * Built on MongoDB only: an index on a field thousands of documents share a value of (a
	 * status), whose NeDB index keeps one value's documents in an array that every update of one
	 * of them filters (with 20,000 confirmed orders each write to one was a pass over all of
	 * them), or one that only MongoDB's planner uses (NeDB picks no index for `$exists`).
	 */
	mongoOnly?: boolean;
}

export interface CollectionSpec {
	indexes?: IndexSpec[];
}

/** A stored document: `_id` is always a string id we generate, so both stores treat it alike. */
export type StoredDoc = { _id: string } & Record<string, unknown>;

export interface FindOptions {
	query?: Record<string, unknown>;
	sort?: string[];
	limit?: number;
	offset?: number;
}

export class DuplicateKeyError extends Error {
	constructor(
		readonly collection: string,
		cause: unknown,
	) {
		super(`Duplicate key in ${collection}: ${cause instanceof Error ? cause.message : String(cause)}`);
		this.name = "DuplicateKeyError";
	}
}

function isDuplicateKey(err: unknown): boolean {
	const e = err as { errorType?: string; code?: number } | null;
	return e?.errorType === "uniqueViolated" || e?.code === 11000;
}

/** What a service sees of one of its collections: typed documents, store-neutral errors. */
export class Collection<T extends StoredDoc> {
	constructor(
		readonly name: string,
		private readonly adapter: DbAdapter,
		private readonly owner: string,
	) {}

	/**
	 * Every operation passes here. A MongoDB store's commands are counted by the driver's command
	 * monitoring (one operation may be several commands); the embedded store's here.
	 */
	private async run<R>(kind: StoreKind, operation: () => Promise<R>): Promise<R> {
		if (this.adapter instanceof MemoryAdapter) ioCounts.store(this.owner, kind);
		try {
			return await operation();
		} catch (err) {
			if (isDuplicateKey(err)) throw new DuplicateKeyError(this.name, err);
			throw new StoreUnavailableError(this.owner, err);
		}
	}

	findOne(query: Record<string, unknown>): Promise<T | null> {
		return this.run("find", async () => ((await this.adapter.findOne(query)) as T | null) ?? null);
	}

	find(options: FindOptions = {}): Promise<T[]> {
		return this.run("find", async () => (await this.adapter.find(options as never)) as T[]);
	}

	/** One page of the matches (page size capped), with the total for the whole query. */
	async findPage<R>(query: Record<string, unknown>, sort: string[], params: PageParams, toRow: (doc: T) => R): Promise<Page<R>> {
		const window = pageWindow(params.page, params.pageSize);
		const docs = await this.find({ query, sort, limit: window.limit, offset: window.offset });
		// A page that is not full is the last one: the total follows from it, without a count of
		// every match (a second round trip to the store). Only a full page, or one past the end, counts.
		const last = docs.length < window.limit && (docs.length > 0 || window.offset === 0);
		const total = last ? window.offset + docs.length : await this.count(query);
		return toPage(docs.map(toRow), total, window);
	}

	count(query: Record<string, unknown> = {}): Promise<number> {
		return this.run("count", () => this.adapter.count({ query } as never));
	}

	insert(doc: T): Promise<T> {
		return this.run("insert", async () => (await this.adapter.insert(doc)) as T);
	}

	/** Inserts unless a document with the same id (or unique key) is there; false if one was. */
	async insertIfAbsent(doc: T): Promise<boolean> {
		try {
			await this.insert(doc);
			return true;
		} catch (err) {
			if (err instanceof DuplicateKeyError) return false;
			throw err;
		}
	}

	/**
	 * Applies `update` to every match; returns how many matched, the basis of conditional writes.
	 * Each document's match and change are one atomic step (NeDB, MongoDB), so of several
	 * concurrent conditional updates of one document only those whose condition still held apply.
	 */
	update(query: Record<string, unknown>, update: Record<string, unknown>): Promise<number> {
		const adapter = this.adapter;
		// moleculer-db wraps NeDB's update in a promisify that makes Node build a deprecation warning,
		// stack trace and all, on every call (DEP0174, silenced but still paid for): NeDB's own promise instead.
		if (adapter instanceof MemoryAdapter) return this.run("update", async () => (await adapter.db.updateAsync(query, update, { multi: true })).numAffected);
		return this.run("update", () => adapter.updateMany(query as never, update));
	}

	remove(query: Record<string, unknown>): Promise<number> {
		return this.run("delete", () => this.adapter.removeMany(query as never));
	}
}

function createAdapter(config: ShopConfig, service: string, collection: string): DbAdapter {
	if (config.mongoUri) {
		// The old driver under moleculer-db-adapter-mongo waits 30 s by default before giving up
		// on an unreachable server; a dead database must fail start-up quickly instead, and a
		// request must not wait long (the broker retries it, possibly on another replica).
		return new MongoDbAdapter(
			config.mongoUri,
			// ignoreUndefined: a field left undefined is not stored at all (as NeDB does), rather than
			// as null, which the API's contract does not allow.
			// monitorCommands: every command it sends is counted (lib/io-counts.ts).
			{ useUnifiedTopology: true, serverSelectionTimeoutMS: 2500, connectTimeoutMS: 2500, ignoreUndefined: true, monitorCommands: true },
			`${config.mongoDbPrefix}${service}`,
		);
	}
	const dir = path.join(config.dataDir, service);
	fs.mkdirSync(dir, { recursive: true });
	return new MemoryAdapter({ filename: path.join(dir, `${collection}.db`) });
}

async function pingDatabase(adapter: DbAdapter): Promise<void> {
	// The embedded file store is in this process: if the process answers, so does the store.
	if (adapter instanceof MongoDbAdapter) await adapter.db.admin().command({ ping: 1 });
}

async function buildInfo(adapter: DbAdapter): Promise<Record<string, unknown> | undefined> {
	if (!(adapter instanceof MongoDbAdapter)) return undefined;
	return (await adapter.db.admin().command({ buildInfo: 1 })) as Record<string, unknown>;
}

async function ensureIndexes(adapter: DbAdapter, indexes: IndexSpec[]): Promise<void> {
	for (const index of indexes) {
		if (adapter instanceof MemoryAdapter) {
			if (index.mongoOnly) {
				// A data file written before the field was marked keeps its index definition.
				if (adapter.db.indexes[index.field]) await adapter.db.removeIndexAsync(index.field);
				continue;
			}
			// NeDB keeps the documents an index has no value for under one key, in an array every
			// update of one of them filters (every final order, once it drops its saga deadline):
			// a non-unique index leaves them out. Its queries never match a missing field anyway.
			const sparse = index.sparse ?? !index.unique;
			const existing = adapter.db.indexes[index.field];
			if (existing && existing.sparse !== sparse) await adapter.db.removeIndexAsync(index.field);
			await adapter.db.ensureIndexAsync({ fieldName: index.field, unique: index.unique, sparse });
		} else if (adapter instanceof MongoDbAdapter) {
			await adapter.collection.createIndex({ [index.field]: 1 }, { unique: index.unique ?? false, sparse: index.sparse ?? false });
		}
	}
}

export interface StoreService<C extends Record<string, StoredDoc>> {
	collections: { [K in keyof C]: Collection<C[K]> };
}

/**
 * `StoreMixin(config, { products: { indexes: [...] } })` gives the service `this.collections.products`,
 * connected before the service's own `started` runs and closed after its `stopped`, on the store
 * `config` names (MONGO_URI, or DATA_DIR).
 */
export function StoreMixin<C extends Record<string, StoredDoc>>(config: ShopConfig, specs: { [K in keyof C]: CollectionSpec }): Partial<ServiceSchema> {
	return {
		created() {
			this.adapters = [] as DbAdapter[];
			this.collections = {} as StoreService<C>["collections"];
		},
		async started() {
			// Every collection of a service lives on one server: ask it once what it is.
			let checked = false;
			for (const [name, spec] of Object.entries(specs) as [keyof C & string, CollectionSpec][]) {
				const adapter = createAdapter(config, this.name, name);
				// The mongo adapter reads the collection name from the schema of the service it serves.
				adapter.init(this.broker, { schema: { collection: name }, logger: this.logger } as never);
				try {
					await adapter.connect();
					if (adapter instanceof MongoDbAdapter) {
						const owner = this.name as string;
						// The driver's client: moleculer-db-adapter-mongo's types leave it out.
						const client = (adapter as unknown as { client: EventEmitter }).client;
						client.on("commandStarted", (event: { commandName: string }) => ioCounts.store(owner, kindOfMongoCommand(event.commandName)));
					}
					if (!checked) {
						checked = true;
						// Before any index is made or document written, so a refused server is left as it was.
						const verdict = judgeServer(await buildInfo(adapter), config.mongoAllowNonAtomic);
						if (verdict.refuse) {
							await adapter.disconnect();
							throw new UnsafeStoreError(this.name, verdict.refuse);
						}
						if (verdict.warn) this.logger.warn(verdict.warn);
					}
					await ensureIndexes(adapter, spec.indexes ?? []);
				} catch (err) {
					if (err instanceof UnsafeStoreError) throw err;
					const where = config.mongoUri ? "MongoDB at MONGO_URI" : `DATA_DIR ${config.dataDir}`;
					throw new StoreUnavailableError(`${this.name} (${where}, collection ${name})`, err);
				}
				this.adapters.push(adapter);
				this.collections[name] = new Collection(name, adapter, this.name);
			}
			const [first] = this.adapters as DbAdapter[];
			if (first) this.removeDatabaseCheck = healthChecksOf(this.broker).register(`database:${this.name}`, () => pingDatabase(first));
		},
		async stopped() {
			this.removeDatabaseCheck?.();
			for (const adapter of this.adapters.splice(0) as DbAdapter[]) {
				if (adapter instanceof MemoryAdapter && adapter.db) await adapter.db.compactDatafileAsync();
				await adapter.disconnect();
			}
		},
	};
}
