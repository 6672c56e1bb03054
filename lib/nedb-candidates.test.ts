import { bracketRanges } from "./nedb-candidates";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Datastore = require("@seald-io/nedb") as new () => {
	ensureIndexAsync(options: { fieldName: string }): Promise<void>;
	insertAsync(docs: object[]): Promise<unknown>;
	findAsync(query: object): Promise<{ _id: string }[]>;
	updateAsync(query: object, update: object, options: object): Promise<{ numAffected: number }>;
	_getRawCandidates(query: object): unknown[];
};

describe("NeDB's choice of candidate documents", () => {
	async function ordersStore() {
		const db = new Datastore();
		await db.ensureIndexAsync({ fieldName: "status" });
		await db.ensureIndexAsync({ fieldName: "deadlineMs" });
		const docs = Array.from({ length: 1000 }, (_, i) => ({ _id: `o${i}`, status: "CONFIRMED", deadlineMs: null }));
		await db.insertAsync([...docs, { _id: "open", status: "PAID", deadlineMs: 5 }, { _id: "later", status: "PAID", deadlineMs: 50 }]);
		return db;
	}

	it("answers a query by _id with more conditions from the _id index, not from every document sharing its status", async () => {
		const db = await ordersStore();
		expect(db._getRawCandidates({ _id: "o7", status: "CONFIRMED" })).toHaveLength(1);
		expect(db._getRawCandidates({ _id: { $in: ["o7", "o8"] }, status: "CONFIRMED" })).toHaveLength(2);
		expect(await db.updateAsync({ _id: "o7", status: "CONFIRMED" }, { $set: { seen: true } }, {})).toMatchObject({ numAffected: 1 });
		expect(await db.updateAsync({ _id: "o8", status: "PAID" }, { $set: { seen: true } }, {})).toMatchObject({ numAffected: 0 });
	});

	it("leaves out documents whose field is null for a range with one numeric bound, and matches as before", async () => {
		const db = await ordersStore();
		expect(db._getRawCandidates({ deadlineMs: { $lte: 10 } })).toHaveLength(1);
		expect((await db.findAsync({ deadlineMs: { $lte: 10 } })).map((doc) => doc._id)).toEqual(["open"]);
		expect((await db.findAsync({ deadlineMs: { $gt: 10 } })).map((doc) => doc._id)).toEqual(["later"]);
	});

	it("closes only one-sided numeric ranges", () => {
		expect(bracketRanges({ a: { $lte: 3 }, b: { $gt: 1 }, c: { $gte: 1, $lt: 2 }, d: "x", e: { $lte: "z" } })).toEqual({
			a: { $lte: 3, $gte: -Infinity },
			b: { $gt: 1, $lte: Infinity },
			c: { $gte: 1, $lt: 2 },
			d: "x",
			e: { $lte: "z" },
		});
	});
});
