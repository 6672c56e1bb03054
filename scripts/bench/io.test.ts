import { countsBetween, ioCounts, kindOfMongoCommand, type IoCounts } from "../../lib/io-counts";
import { ioPerOrder, ioTable } from "./io";

const counts = (store: IoCounts["store"], produced: Record<string, number> = {}, fetched: Record<string, number> = {}): IoCounts => ({
	store,
	kafka: { produced, fetched, requests: {} },
});

describe("the bench's round trips per order", () => {
	it.each([
		["insert", "insert"],
		["find", "find"],
		["getMore", "find"],
		["count", "count"],
		["update", "update"],
		["findAndModify", "update"],
		["delete", "delete"],
		["createIndexes", "other"],
		["ping", "other"],
	])("counts MongoDB's %s command as %s", (command, kind) => {
		expect(kindOfMongoCommand(command)).toBe(kind);
	});

	it("counts only what happened between two readings, and leaves out what did not change", () => {
		const before = counts({ orders: { find: 10, update: 4 } }, { "shop.orders": 3 });
		const after = counts({ orders: { find: 16, update: 4, insert: 2 }, payments: { insert: 1 } }, { "shop.orders": 5 });
		expect(countsBetween(before, after)).toEqual(counts({ orders: { find: 6, insert: 2 }, payments: { insert: 1 } }, { "shop.orders": 2 }));
	});

	it("adds the nodes up per service and divides by the final orders", () => {
		// Two replicas of orders, each its own process with its own counts.
		const before = [counts({ orders: { find: 1 } }), counts({})];
		const after = [counts({ orders: { find: 5, update: 2 } }, { "shop.orders": 2 }), counts({ orders: { find: 4, update: 2 } }, {}, { "shop.orders": 4 })];
		const io = ioPerOrder(before, after, 2);
		expect(io.store).toEqual({ orders: { find: 4, update: 2 } });
		expect(io.storeTotal).toBe(6);
		expect([io.produced, io.fetched]).toEqual([1, 2]);
		expect(ioTable(io)).toContain("checkout store commands per final order: 6.0");
	});

	it("keeps a snapshot apart from the counts that go on", () => {
		const before = ioCounts.snapshot();
		ioCounts.store("test", "find");
		ioCounts.produced("shop.test", 2);
		expect(countsBetween(before, ioCounts.snapshot())).toEqual(counts({ test: { find: 1 } }, { "shop.test": 2 }));
	});
});
