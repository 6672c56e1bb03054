import { ServiceBroker } from "moleculer";
import { immutableJson, ReadCache } from "./read-cache";

function deferred<T>() {
	let resolve!: (value: T) => void;
	const promise = new Promise<T>((r) => (resolve = r));
	return { promise, resolve };
}

describe("ReadCache", () => {
	let broker: ServiceBroker;
	let loads: number;
	const load = (value: object) => async () => {
		loads++;
		return value;
	};

	beforeEach(() => {
		broker = new ServiceBroker({ logger: false, cacher: { type: "MemoryLRU", options: { max: 100 } } });
		loads = 0;
	});

	it("serves a stored read without loading it again", async () => {
		const cache = new ReadCache(broker.cacher, 30);
		expect(await cache.through("catalogue.get:a", load({ price: 1 }))).toEqual({ price: 1 });
		expect(await cache.through("catalogue.get:a", load({ price: 2 }))).toEqual({ price: 1 });
		expect(loads).toBe(1);
	});

	it("drops exactly the entries an invalidation names, and a prefix's entries with **", async () => {
		const cache = new ReadCache(broker.cacher, 30);
		await cache.through("catalogue.get:a", load({ id: "a" }));
		await cache.through("catalogue.get:b", load({ id: "b" }));
		await cache.through('catalogue.list:[1,20,"",""]', load({ rows: [] }));
		await cache.through('catalogue.list:[2,20,"toys","a.b"]', load({ rows: [] }));
		await cache.invalidate(["catalogue.get:a", "catalogue.list:**"]);
		loads = 0;
		await cache.through("catalogue.get:a", load({ id: "a" }));
		await cache.through("catalogue.get:b", load({ id: "b" }));
		await cache.through('catalogue.list:[1,20,"",""]', load({ rows: [] }));
		await cache.through('catalogue.list:[2,20,"toys","a.b"]', load({ rows: [] }));
		expect(loads).toBe(3);
	});

	it("does not store a read that was under way when its data changed", async () => {
		const cache = new ReadCache(broker.cacher, 30);
		const before = deferred<{ price: number }>();
		const slowRead = cache.through("catalogue.get:a", () => before.promise);
		// The price changes and is invalidated while the read still holds the old document.
		await cache.invalidate(["catalogue.get:a"]);
		before.resolve({ price: 1 });
		expect(await slowRead).toEqual({ price: 1 });
		expect(await cache.through("catalogue.get:a", load({ price: 2 }))).toEqual({ price: 2 });
		expect(loads).toBe(1);
	});

	it("expires an entry its TTL after it was stored, however often it is read", async () => {
		const cache = new ReadCache(broker.cacher, 1);
		await cache.through("catalogue.get:a", load({ price: 1 }));
		const storedAt = Date.now();
		while (Date.now() - storedAt < 900) {
			expect(await cache.through("catalogue.get:a", load({ price: 2 }))).toEqual({ price: 1 });
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
		expect(await cache.through("catalogue.get:a", load({ price: 2 }))).toEqual({ price: 2 });
		expect(loads).toBe(2);
	});

	it("hands out frozen entries, so one caller cannot change what the next one is served", async () => {
		const cache = new ReadCache(broker.cacher, 30);
		const page = await cache.through("catalogue.list:1", load({ rows: [{ price: 1 }] }));
		expect(() => {
			(page as { rows: { price: number }[] }).rows[0]!.price = 0;
		}).toThrow(TypeError);
		expect(await cache.through("catalogue.list:1", load({}))).toEqual({ rows: [{ price: 1 }] });
	});

	it("makes the JSON of a value it handed out once, and of anything else every time", async () => {
		const cache = new ReadCache(broker.cacher, 30);
		const page = await cache.through("catalogue.list:1", load({ rows: [{ price: 1 }] }));
		const mutable = { rows: [{ price: 1 }] };
		const stringify = jest.spyOn(JSON, "stringify");
		try {
			for (let i = 0; i < 3; i++) expect(immutableJson(page)).toBe('{"rows":[{"price":1}]}');
			expect(stringify).toHaveBeenCalledTimes(1);
			expect(immutableJson(mutable)).toBe('{"rows":[{"price":1}]}');
			mutable.rows[0]!.price = 2;
			expect(immutableJson(mutable)).toBe('{"rows":[{"price":2}]}');
			expect(immutableJson(Object.freeze({ rows: mutable.rows }))).toBe('{"rows":[{"price":2}]}');
		} finally {
			stringify.mockRestore();
		}
	});

	it("loads every time with a TTL of 0 or without a cacher", async () => {
		for (const cache of [new ReadCache(broker.cacher, 0), new ReadCache(undefined, 30)]) {
			await cache.through("catalogue.get:a", load({ price: 1 }));
			await cache.through("catalogue.get:a", load({ price: 1 }));
			await cache.invalidate(["catalogue.get:a"]);
		}
		expect(loads).toBe(4);
	});

	describe("throughMany", () => {
		/** A loader that records the keys it was asked for and answers { key, n } for each. */
		function recorder(n: number) {
			const asked: string[][] = [];
			const loadMany = async (missing: string[]) => {
				asked.push(missing);
				return missing.map((key) => ({ key, n }));
			};
			return { asked, loadMany };
		}

		it("loads only the missing keys, in one call, and answers every key in its order", async () => {
			const cache = new ReadCache(broker.cacher, 30);
			const first = recorder(1);
			await cache.throughMany(["k:a", "k:c"], first.loadMany);
			const second = recorder(2);
			expect(await cache.throughMany(["k:a", "k:b", "k:c", "k:d"], second.loadMany)).toEqual([
				{ key: "k:a", n: 1 },
				{ key: "k:b", n: 2 },
				{ key: "k:c", n: 1 },
				{ key: "k:d", n: 2 },
			]);
			expect(second.asked).toEqual([["k:b", "k:d"]]);
			const third = recorder(3);
			await cache.throughMany(["k:d", "k:a"], third.loadMany);
			expect(third.asked).toEqual([]);
		});

		it("does not store reads that were under way when their data changed, and freezes what it hands out", async () => {
			const cache = new ReadCache(broker.cacher, 30);
			const before = deferred<{ key: string }[]>();
			const slowRead = cache.throughMany(["k:a"], () => before.promise);
			await cache.invalidate(["k:a"]);
			before.resolve([{ key: "old" }]);
			const [old] = await slowRead;
			expect(Object.isFrozen(old)).toBe(true);
			const fresh = recorder(2);
			expect(await cache.throughMany(["k:a"], fresh.loadMany)).toEqual([{ key: "k:a", n: 2 }]);
			expect(fresh.asked).toEqual([["k:a"]]);
		});

		it("loads every key every time with a TTL of 0 or without a cacher", async () => {
			for (const cache of [new ReadCache(broker.cacher, 0), new ReadCache(undefined, 30)]) {
				const loader = recorder(1);
				await cache.throughMany(["k:a", "k:b"], loader.loadMany);
				await cache.throughMany(["k:a", "k:b"], loader.loadMany);
				expect(loader.asked).toEqual([
					["k:a", "k:b"],
					["k:a", "k:b"],
				]);
			}
		});

		it("refuses a loader that answers another number of values than it was asked for", async () => {
			const cache = new ReadCache(broker.cacher, 30);
			await expect(cache.throughMany(["k:a", "k:b"], async () => [{ key: "k:a" }])).rejects.toThrow(/2 keys missing, 1 values loaded/);
		});
	});
});
