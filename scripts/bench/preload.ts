import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { SERVICE_NAMES, json, withMongo } from "../cluster-lib";

/*
 * `npm run bench -- --preload 20000`: the checkout measured on a shop that already holds that many
 * orders, to show what the periodic work (the relay's scans, the saga, reservation and payment
 * sweeps, inbox retries) costs as the data grows. A few real orders are placed through the API
 * first; then every document they left in a store that grows with orders (orders, reservations,
 * payments and the processor's books, shipments and the carrier's books, notifications, inbox
 * records) is copied under new ids
 * until the stores hold `count` orders' worth, in the same proportions. The copies are of final
 * orders, so no sweep has work to do on them: what they cost is what finding no work costs.
 */

/** Orders placed through the API whose documents are copied. */
export const SEED_ORDERS = 50;

/**
 * Collections that do not grow with orders, or whose documents carry a unique key besides
 * `_id` (a customer's email, a product's SKU, a cart per customer): not copied.
 */
const NOT_COPIED = new Set(["customers", "products", "carts"]);

/**
 * A copy of a stored document under a new id, its outbox emptied (its events went out already),
 * and a shipment's copy off the tracking sweep (no `nextTrackAtMs`): the carrier's books hold no
 * parcel under the copy's id, so asking about it would fail the sweep; it stands for one delivered.
 */
export function copyOf<T extends { _id: unknown; outbox?: unknown; nextTrackAtMs?: unknown }>(doc: T): T {
	const copy: T = { ...doc, _id: randomUUID(), ...(doc.outbox ? { outbox: [] } : {}) };
	delete copy.nextTrackAtMs;
	return copy;
}

/** How many copies of each seed document make `count` orders' worth with the seeds. */
export function copiesFor(count: number, seeds: number): number {
	return Math.max(0, Math.round(count / seeds) - 1);
}

/**
 * Places `SEED_ORDERS` orders of `productId` as the customer of `token`, eight at a time, and
 * waits until each is final.
 */
export async function placeSeedOrders(base: string, token: string, productId: string, address: object): Promise<void> {
	const headers = { authorization: `Bearer ${token}` };
	let left = SEED_ORDERS;
	await Promise.all(
		Array.from({ length: 8 }, async () => {
			while (left-- > 0) {
				const res = await json<{ id: string }>(`${base}/orders`, {
					method: "POST",
					headers,
					body: JSON.stringify({ items: [{ productId, qty: 1 }], shippingAddress: address }),
				});
				if (res.status !== 201) throw new Error(`preload: an order was refused (${res.status} ${JSON.stringify(res.body)})`);
				const giveUpAt = Date.now() + 60_000;
				for (;;) {
					const order = await json<{ status: string }>(`${base}/orders/${res.body.id}`, { headers });
					if (order.body?.status === "CONFIRMED" || order.body?.status === "CANCELLED") break;
					if (Date.now() > giveUpAt) throw new Error(`preload: order ${res.body.id} did not become final in 60 s`);
					await new Promise((resolve) => setTimeout(resolve, 50));
				}
			}
		}),
	);
}

/** Copies, in each service's database on MongoDB, the documents that grow with orders. */
export async function preloadMongo(uri: string, dbPrefix: string, copies: number): Promise<Record<string, number>> {
	const written: Record<string, number> = {};
	await withMongo(uri, async (client) => {
		for (const service of SERVICE_NAMES) {
			const db = client.db(`${dbPrefix}${service}`);
			for (const { name } of await db.listCollections().toArray()) {
				if (NOT_COPIED.has(name)) continue;
				const collection = db.collection<{ _id: unknown; outbox?: unknown }>(name);
				const seeds = await collection.find({}).toArray();
				const all = seeds.flatMap((doc) => Array.from({ length: copies }, () => copyOf(doc)));
				for (let i = 0; i < all.length; i += 1000) await collection.insertMany(all.slice(i, i + 1000), { ordered: false });
				if (all.length > 0) written[`${service}.${name}`] = all.length;
			}
		}
	});
	return written;
}

/**
 * Copies, in the embedded shop's NeDB files under `dataDir` (one per collection, a document a
 * line), the documents that grow with orders. The shop must be stopped: NeDB reads its files
 * once, at start.
 */
export function preloadNedb(dataDir: string, copies: number): Record<string, number> {
	const written: Record<string, number> = {};
	for (const service of fs.readdirSync(dataDir, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
		for (const file of fs.readdirSync(path.join(dataDir, service.name)).filter((name) => name.endsWith(".db"))) {
			const name = file.slice(0, -".db".length);
			if (NOT_COPIED.has(name)) continue;
			const filename = path.join(dataDir, service.name, file);
			// Index definitions and deletions are lines too; only live documents are copied.
			const docs = new Map<string, { _id: string; outbox?: unknown }>();
			for (const line of fs.readFileSync(filename, "utf8").split("\n").filter(Boolean)) {
				const doc = JSON.parse(line) as { _id?: string; $$deleted?: boolean; outbox?: unknown };
				if (doc._id === undefined) continue;
				if (doc.$$deleted) docs.delete(doc._id);
				else docs.set(doc._id, doc as { _id: string });
			}
			const lines: string[] = [];
			for (const doc of docs.values()) for (let i = 0; i < copies; i++) lines.push(JSON.stringify(copyOf(doc)));
			if (lines.length === 0) continue;
			fs.appendFileSync(filename, lines.join("\n") + "\n");
			written[`${service.name}.${name}`] = lines.length;
		}
	}
	return written;
}
