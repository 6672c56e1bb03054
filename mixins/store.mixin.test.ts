import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import type { MemoryAdapter } from "moleculer-db";
import { loadConfig } from "../lib/env";
import { ioCounts } from "../lib/io-counts";
import { startShop, type TestShop } from "../test/helpers/shop";
import { StoreMixin, type Collection, type StoredDoc } from "./store.mixin";

type Row = StoredDoc & { n: number };

const pages = (): ServiceSchema => ({ name: "pages", mixins: [StoreMixin<{ rows: Row }>(loadConfig(), { rows: {} })] });

describe("a page of a collection", () => {
	let shop: TestShop;
	let rows: Collection<Row>;
	beforeAll(async () => {
		shop = await startShop({ services: [], extra: [pages] });
		rows = (shop.broker.getLocalService("pages") as unknown as { collections: { rows: Collection<Row> } }).collections.rows;
		for (let n = 1; n <= 25; n++) await rows.insert({ _id: `r${String(n).padStart(2, "0")}`, n });
	});
	afterAll(() => shop.destroy());

	const counted = () => ioCounts.snapshot().store.pages?.count ?? 0;
	async function page(pageNumber: number) {
		const before = counted();
		const result = await rows.findPage({}, ["_id"], { page: pageNumber, pageSize: 10 }, (doc) => doc.n);
		return { ...result, counts: counted() - before };
	}

	it("counts every match for a full page", async () => {
		expect(await page(1)).toEqual({ rows: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], total: 25, page: 1, pageSize: 10, totalPages: 3, counts: 1 });
	});

	it("takes the total from the last page itself, without counting", async () => {
		expect(await page(3)).toEqual({ rows: [21, 22, 23, 24, 25], total: 25, page: 3, pageSize: 10, totalPages: 3, counts: 0 });
	});

	it("counts for a page past the end, which says nothing of the total", async () => {
		expect(await page(5)).toEqual({ rows: [], total: 25, page: 5, pageSize: 10, totalPages: 3, counts: 1 });
	});

	it("answers an empty collection's first page as empty, without counting", async () => {
		const before = counted();
		expect(await rows.findPage({ n: 0 }, ["_id"], { page: 1, pageSize: 10 }, (doc) => doc.n)).toMatchObject({ rows: [], total: 0, totalPages: 0 });
		expect(counted() - before).toBe(0);
	});
});

describe("an embedded store's index", () => {
	type Task = StoredDoc & { dueMs?: number };
	const tasks = (): ServiceSchema => ({ name: "tasks", mixins: [StoreMixin<{ tasks: Task }>(loadConfig(), { tasks: { indexes: [{ field: "dueMs" }] } })] });
	const indexed = (shop: TestShop) => {
		const collection = (shop.broker.getLocalService("tasks") as unknown as { collections: { tasks: Collection<Task> } }).collections.tasks;
		const { db } = (collection as unknown as { adapter: MemoryAdapter }).adapter;
		return { collection, index: db.indexes.dueMs as { sparse: boolean; getAll(): Task[] } };
	};

	it("leaves out the documents without the field, also in a data file whose index kept them", async () => {
		// A data file from before: three tasks done (no deadline), one open, indexed with every document.
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-test-"));
		fs.mkdirSync(path.join(dataDir, "tasks"));
		const lines = [
			{ _id: "t1" },
			{ _id: "t2" },
			{ _id: "t3" },
			{ _id: "t4", dueMs: 10 },
			{ $$indexCreated: { fieldName: "dueMs", unique: false, sparse: false } },
		];
		fs.writeFileSync(path.join(dataDir, "tasks", "tasks.db"), lines.map((line) => JSON.stringify(line)).join("\n") + "\n");
		const shop = await startShop({ services: [], extra: [tasks], dataDir });
		try {
			const { collection, index } = indexed(shop);
			expect(index.sparse).toBe(true);
			expect(index.getAll().map((doc) => doc._id)).toEqual(["t4"]);
			expect((await collection.find({ query: { dueMs: { $lte: 20 } } })).map((doc) => doc._id)).toEqual(["t4"]);
			await collection.update({ _id: "t4" }, { $unset: { dueMs: true } });
			expect(index.getAll()).toEqual([]);
		} finally {
			await shop.destroy();
		}
	});
});
