import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copiesFor, copyOf, preloadNedb } from "./preload";

describe("the bench's preload", () => {
	it("makes the stores hold the orders asked for, seeds included", () => {
		expect(copiesFor(20_000, 50)).toBe(399);
		expect(copiesFor(50, 50)).toBe(0);
	});

	it("copies a document under a new id with its outbox emptied", () => {
		const doc = { _id: "order-1", status: "CONFIRMED", outbox: [{ id: "e1" }] };
		const copy = copyOf(doc);
		expect(copy).toEqual({ _id: expect.not.stringMatching(/^order-1$/), status: "CONFIRMED", outbox: [] });
		expect(copyOf({ _id: "x", n: 1 })).not.toHaveProperty("outbox");
		// A shipment's copy has no parcel at the carrier: the tracking sweep must not find it due.
		expect(copyOf({ _id: "order-2", status: "LABELLED", nextTrackAtMs: 1 })).toEqual({ _id: expect.any(String), status: "LABELLED" });
	});

	it("appends copies of the live documents of growing collections to NeDB files, and leaves customers, products and carts alone", () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preload-"));
		try {
			fs.mkdirSync(path.join(dir, "orders"));
			fs.mkdirSync(path.join(dir, "customers"));
			const orders = [
				JSON.stringify({ $$indexCreated: { fieldName: "status" } }),
				JSON.stringify({ _id: "a", status: "CONFIRMED", createdAt: { $$date: 1 } }),
				JSON.stringify({ _id: "b", status: "CONFIRMED" }),
				JSON.stringify({ $$deleted: true, _id: "b" }),
			];
			fs.writeFileSync(path.join(dir, "orders", "orders.db"), orders.join("\n") + "\n");
			fs.writeFileSync(path.join(dir, "customers", "customers.db"), JSON.stringify({ _id: "c", email: "x@example.com" }) + "\n");

			expect(preloadNedb(dir, 3)).toEqual({ "orders.orders": 3 });

			const lines = fs
				.readFileSync(path.join(dir, "orders", "orders.db"), "utf8")
				.split("\n")
				.filter(Boolean)
				.map((line) => JSON.parse(line) as Record<string, unknown>);
			const copies = lines.slice(orders.length);
			expect(copies).toHaveLength(3);
			expect(copies.every((doc) => doc.status === "CONFIRMED" && (doc.createdAt as { $$date: number }).$$date === 1)).toBe(true);
			expect(new Set(copies.map((doc) => doc._id)).size).toBe(3);
			expect(
				fs
					.readFileSync(path.join(dir, "customers", "customers.db"), "utf8")
					.split("\n")
					.filter(Boolean),
			).toHaveLength(1);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
});
