import { randomUUID } from "node:crypto";
import type { ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/env";
import { OUTBOX_INDEX, OUTBOX_PENDING } from "../../mixins/events/outbox";
import { Collection, DuplicateKeyError, StoreMixin, type StoredDoc } from "../../mixins/store.mixin";
import { startShop, type TestShop } from "../helpers/shop";
import { TestCluster } from "./cluster";
import { infra } from "./servers";

/*
 * The MongoDB-wire server of `npm run infra:up` is faithful where the shop depends on it, checked
 * through the shop's own store (moleculer-db-adapter-mongo and its mongodb 3.x driver): atomic
 * single-document updates, conditional ones among them, unique indexes, the relay's outbox
 * queries, and data that outlives a restart of the server. A server that fails here would let
 * the other infra tests pass by luck, or oversell without an error (FerretDB 1.x did).
 */

type Counter = StoredDoc & { n: number; stock: number; outbox?: { id: string }[] };
type Product = StoredDoc & { sku: string };

interface Probe {
	collections: { counters: Collection<Counter>; products: Collection<Product> };
}

const probe = (): ServiceSchema => ({
	name: "probe",
	mixins: [
		StoreMixin<{ counters: Counter; products: Product }>(loadConfig(), {
			counters: { indexes: [OUTBOX_INDEX] },
			products: { indexes: [{ field: "sku", unique: true }] },
		}),
	],
});

describe("the local MongoDB-wire server", () => {
	const env = TestCluster.infraEnv();
	// A database of this run's own, so earlier runs' data cannot decide anything.
	const prefix = `faith_${randomUUID().slice(0, 8)}_`;
	let shop: TestShop;
	const store = () => (shop.broker.getLocalService("probe") as unknown as Probe).collections;
	const start = async () => (shop = await startShop({ services: [], extra: [probe], env: { MONGO_URI: env.MONGO_URI!, MONGO_DB_PREFIX: prefix } }));

	beforeAll(start);
	afterAll(() => shop?.destroy());

	it("applies every one of 50 concurrent $inc of one document", async () => {
		const { counters } = store();
		await counters.insert({ _id: "inc", n: 0, stock: 0 });
		const startedAt = Date.now();
		const matched = await Promise.all(Array.from({ length: 50 }, () => counters.update({ _id: "inc" }, { $inc: { n: 1 } })));
		const tookMs = Date.now() - startedAt;
		expect(matched).toEqual(Array(50).fill(1));
		expect((await counters.findOne({ _id: "inc" }))?.n).toBe(50);
		console.log(`mongo faithfulness: 50 concurrent $inc applied in ${tookMs} ms`);
	});

	it("lets exactly 30 of 100 concurrent conditional decrements of a stock of 30 apply", async () => {
		const { counters } = store();
		await counters.insert({ _id: "stock", n: 0, stock: 30 });
		const startedAt = Date.now();
		// The catalogue's reservation in miniature: take one only while at least one is left.
		const modified = await Promise.all(Array.from({ length: 100 }, () => counters.update({ _id: "stock", stock: { $gte: 1 } }, { $inc: { stock: -1 } })));
		const tookMs = Date.now() - startedAt;
		expect(modified.reduce((sum, one) => sum + one, 0)).toBe(30);
		expect((await counters.findOne({ _id: "stock" }))?.stock).toBe(0);
		console.log(`mongo faithfulness: 100 concurrent conditional decrements of 30, 30 applied, in ${tookMs} ms`);
	});

	it("refuses a second document with the same unique key", async () => {
		const { products } = store();
		await products.insert({ _id: "p1", sku: "SKU-1" });
		await expect(products.insert({ _id: "p2", sku: "SKU-1" })).rejects.toBeInstanceOf(DuplicateKeyError);
		expect(await products.insertIfAbsent({ _id: "p1", sku: "SKU-2" })).toBe(false);
		expect(await products.count({})).toBe(1);
	});

	it("finds documents with events in their outbox and pulls the delivered ones by their ids, as the relay does", async () => {
		const { counters } = store();
		await counters.insert({ _id: "with-events", n: 0, stock: 0, outbox: [{ id: "e1" }, { id: "e2" }, { id: "e3" }] });
		await counters.insert({ _id: "emptied", n: 0, stock: 0, outbox: [] });
		const pending = await counters.find({ query: OUTBOX_PENDING });
		expect(pending.map((doc) => doc._id)).toEqual(["with-events"]);
		expect((await counters.find({ query: { "outbox.0": { $exists: true } } })).map((doc) => doc._id)).toEqual(["with-events"]);
		// e2 was written after the relay read the document: it stays for the next run.
		expect(await counters.update({ _id: "with-events" }, { $pull: { outbox: { id: { $in: ["e1", "e3"] } } } })).toBe(1);
		expect((await counters.findOne({ _id: "with-events" }))?.outbox).toEqual([{ id: "e2" }]);
	});

	it("keeps its data across a restart of the server (SIGTERM, then infra:up)", async () => {
		await shop.stop();
		const stoppedAt = Date.now();
		await infra("down", "mongo");
		await infra("up", "mongo");
		const restartMs = Date.now() - stoppedAt;
		await start();
		const { counters, products } = store();
		expect((await counters.findOne({ _id: "inc" }))?.n).toBe(50);
		expect((await counters.findOne({ _id: "stock" }))?.stock).toBe(0);
		expect((await counters.findOne({ _id: "with-events" }))?.outbox).toEqual([{ id: "e2" }]);
		// The unique index is back too, not only the documents.
		await expect(products.insert({ _id: "p3", sku: "SKU-1" })).rejects.toBeInstanceOf(DuplicateKeyError);
		console.log(`mongo faithfulness: server stopped and ready again in ${restartMs} ms, data intact`);
	});
});
