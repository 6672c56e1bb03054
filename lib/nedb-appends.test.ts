import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import "./nedb-appends";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Datastore = require("@seald-io/nedb") as new (options: { filename: string }) => {
	loadDatabaseAsync(): Promise<void>;
	insertAsync(doc: object): Promise<unknown>;
	updateAsync(query: object, update: object, options?: object): Promise<{ numAffected: number }>;
	findOneAsync(query: object): Promise<Record<string, unknown> | null>;
	compactDatafileAsync(): Promise<void>;
};

describe("the embedded store's appends through one open file", () => {
	let dir: string;
	beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "nedb-appends-"))));
	afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

	async function reopened(file: string) {
		const store = new Datastore({ filename: file });
		await store.loadDatabaseAsync();
		return store;
	}

	it("keeps every write, in order, across a reload", async () => {
		const file = path.join(dir, "items.db");
		const store = await reopened(file);
		await store.insertAsync({ _id: "a", n: 0 });
		for (let i = 0; i < 20; i++) await store.updateAsync({ _id: "a" }, { $inc: { n: 1 } });
		expect(await (await reopened(file)).findOneAsync({ _id: "a" })).toEqual({ _id: "a", n: 20 });
	});

	it("writes to the compacted file after a compaction, not to the file it replaced", async () => {
		const file = path.join(dir, "items.db");
		const store = await reopened(file);
		await store.insertAsync({ _id: "a", n: 1 });
		await store.compactDatafileAsync();
		await store.updateAsync({ _id: "a" }, { $set: { n: 2 } });
		await store.compactDatafileAsync();
		await store.updateAsync({ _id: "a" }, { $set: { n: 3 } });
		expect(await (await reopened(file)).findOneAsync({ _id: "a" })).toEqual({ _id: "a", n: 3 });
	});
});
