import type { ServiceBroker } from "moleculer";
import { randomUUID } from "node:crypto";
import type { OrderCancelled, Page, Product, ProductCategory, ProductSummary, Reservation } from "../../contracts";
import { mergeLines } from "../../lib/stock-lines";
import type { Collection } from "../../mixins/store.mixin";
import { DEFAULT_WEIGHT_GRAMS, type ProductDoc } from "../../services/catalogue/product";
import { newReservation, takeHold, type ReservationDoc } from "../../services/catalogue/stock";
import { freePort } from "../helpers/net";
import { sample, scrape } from "../helpers/observability";
import { startShop, type TestShop } from "../helpers/shop";
import { waitForValue } from "../helpers/wait";

const admin = { meta: { user: { id: "admin-1", role: "admin" } } };

async function createProduct(broker: ServiceBroker, sku: string, stock: number, extra: Record<string, unknown> = {}): Promise<Product> {
	return broker.call("catalogue.create", { sku, name: `Product ${sku}`, category: "test", priceCents: 1000, stock, ...extra }, admin);
}

async function stockOf(broker: ServiceBroker, id: string): Promise<number> {
	return ((await broker.call("catalogue.get", { id }, admin)) as Product).stock;
}

function reserve(broker: ServiceBroker, orderId: string, items: { productId: string; qty: number }[]): Promise<Reservation> {
	return broker.call("catalogue.reserve", { orderId, items });
}

describe("catalogue", () => {
	let shop: TestShop;
	let broker: ServiceBroker;

	beforeAll(async () => {
		shop = await startShop({ services: ["catalogue"], env: { RESERVATION_TTL_MS: "1000", RESERVATION_SWEEP_MS: "100" } });
		broker = shop.broker;
	});
	afterAll(() => shop.destroy());

	describe("catalogue.list", () => {
		it("starts with a seeded catalogue of at least 20 products in several categories", async () => {
			const page = await broker.call<{ rows: Product[]; total: number }, object>("catalogue.list", { pageSize: 100 });
			expect(page.total).toBeGreaterThanOrEqual(20);
			expect(new Set(page.rows.map((product) => product.category)).size).toBeGreaterThanOrEqual(4);
		});

		it("pages through the catalogue without overlap", async () => {
			const first = await broker.call<{ rows: Product[]; totalPages: number; total: number }, object>("catalogue.list", { page: 1, pageSize: 7 });
			const second = await broker.call<{ rows: Product[] }, object>("catalogue.list", { page: 2, pageSize: 7 });
			expect(first.rows).toHaveLength(7);
			expect(first.totalPages).toBe(Math.ceil(first.total / 7));
			const firstIds = new Set(first.rows.map((product) => product.id));
			expect(second.rows.some((product) => firstIds.has(product.id))).toBe(false);
		});

		it("rejects unknown parameters instead of passing them to the store", async () => {
			await expect(broker.call("catalogue.list", { query: { active: false } })).rejects.toMatchObject({ code: 422, type: "VALIDATION_ERROR" });
		});
	});

	describe("product weights", () => {
		it("keeps the weight a product is created or updated with, and gives one created without the default", async () => {
			const heavy = await createProduct(broker, "WEIGHT-1", 1, { weightGrams: 6800 });
			expect(heavy.weightGrams).toBe(6800);
			const plain = await createProduct(broker, "WEIGHT-2", 1);
			expect(plain.weightGrams).toBe(DEFAULT_WEIGHT_GRAMS);
			const updated = await broker.call<Product, object>("catalogue.update", { id: plain.id, weightGrams: 250 }, admin);
			expect(updated.weightGrams).toBe(250);
			expect((await broker.call<Product, object>("catalogue.get", { id: plain.id }, admin)).weightGrams).toBe(250);
		});

		it.each([0, -5, 1.5, 1_000_001, "heavy"])("refuses a weight of %j and stores nothing", async (weightGrams) => {
			await expect(createProduct(broker, `WEIGHT-BAD-${String(weightGrams).replace(/\W/g, "")}`, 1, { weightGrams })).rejects.toMatchObject({
				code: 422,
				type: "VALIDATION_ERROR",
			});
			const page = await broker.call<Page<Product>, object>("catalogue.list", { q: "WEIGHT-BAD", pageSize: 100 });
			expect(page.rows).toEqual([]);
		});

		it("seeds every product of the starting catalogue with a weight of its own", async () => {
			const page = await broker.call<Page<Product>, object>("catalogue.list", { pageSize: 100 });
			const seeded = page.rows.filter((product) => !/^(WEIGHT|RES|UPD|LOOKUP)/.test(product.sku));
			expect(seeded.length).toBeGreaterThanOrEqual(20);
			expect(seeded.filter((product) => product.weightGrams === DEFAULT_WEIGHT_GRAMS).map((product) => product.sku)).toEqual([]);
		});
	});

	describe("catalogue.update", () => {
		it("sets stock by compare-and-set and reports what changed", async () => {
			const product = await createProduct(broker, "UPD-1", 5);
			const updated = await broker.call<Product, object>("catalogue.update", { id: product.id, stock: 9, priceCents: 1250 }, admin);
			expect(updated).toMatchObject({ stock: 9, priceCents: 1250 });
		});

		it("sets stock only from the stock expected: a reservation made since is not overwritten", async () => {
			const product = await createProduct(broker, "UPD-EXPECT", 10);
			await reserve(broker, "order-upd-expect", [{ productId: product.id, qty: 3 }]);
			// The admin read 10 before the reservation, and wants 12.
			await expect(broker.call("catalogue.update", { id: product.id, stock: 12, expectedStock: 10 }, admin)).rejects.toMatchObject({
				code: 409,
				type: "STOCK_NOT_AS_EXPECTED",
				data: { stock: 7, expectedStock: 10 },
			});
			expect(((await broker.call("catalogue.get", { id: product.id }, admin)) as Product).stock).toBe(7);
			const updated = await broker.call<Product, object>("catalogue.update", { id: product.id, stock: 12, expectedStock: 7 }, admin);
			expect(updated.stock).toBe(12);
		});

		it("refuses a SKU another product already has, whatever its case", async () => {
			await createProduct(broker, "UPD-2", 1);
			const other = await createProduct(broker, "UPD-3", 1);
			await expect(broker.call("catalogue.update", { id: other.id, sku: "upd-2" }, admin)).rejects.toMatchObject({ code: 409, type: "SKU_TAKEN" });
			expect(((await broker.call("catalogue.get", { id: other.id }, admin)) as Product).sku).toBe("UPD-3");
		});
	});

	describe("catalogue.reserve", () => {
		it("reserves every line or none: one short line leaves all stock untouched", async () => {
			const plenty = await createProduct(broker, "RES-1", 10);
			const scarce = await createProduct(broker, "RES-2", 1);
			const reservation = await reserve(broker, "order-all-or-nothing", [
				{ productId: plenty.id, qty: 3 },
				{ productId: scarce.id, qty: 2 },
			]);
			expect(reservation.status).toBe("REJECTED");
			expect(reservation.rejection).toEqual({ reason: "OUT_OF_STOCK", productId: scarce.id });
			expect(await stockOf(broker, plenty.id)).toBe(10);
			expect(await stockOf(broker, scarce.id)).toBe(1);
		});

		it("answers a repeated call with the first outcome and takes the stock once", async () => {
			const product = await createProduct(broker, "RES-3", 10);
			const items = [{ productId: product.id, qty: 4 }];
			const first = await reserve(broker, "order-repeat", items);
			const second = await reserve(broker, "order-repeat", items);
			expect(first.status).toBe("RESERVED");
			expect(second).toEqual(first);
			expect(await stockOf(broker, product.id)).toBe(6);
		});

		it("takes the stock once when the same order is reserved concurrently", async () => {
			const product = await createProduct(broker, "RES-4", 10);
			const items = [{ productId: product.id, qty: 3 }];
			const results = await Promise.all(Array.from({ length: 10 }, () => reserve(broker, "order-concurrent", items)));
			expect(new Set(results.map((result) => result.status))).toEqual(new Set(["RESERVED"]));
			expect(await stockOf(broker, product.id)).toBe(7);
		});

		it("finishes a reservation its node died deciding: a hold that node took counts once", async () => {
			const [first, second] = (await Promise.all([createProduct(broker, "RES-DEAD-1", 10), createProduct(broker, "RES-DEAD-2", 10)])).map(
				(product) => product.id,
			);
			const lines = mergeLines([
				{ productId: first!, qty: 2 },
				{ productId: second!, qty: 3 },
			]);
			// What a node killed halfway through leaves behind: the reservation PENDING, its first line
			// held, the second not, and its lease (here none at all) run out.
			const { collections } = broker.getLocalService("catalogue") as unknown as {
				collections: { reservations: Collection<ReservationDoc>; products: Collection<ProductDoc> };
			};
			await collections.reservations.insert(newReservation("order-dead-node", lines, new Date(), 60_000, 0));
			const held = takeHold(lines[0]!, "order-dead-node", new Date());
			expect(await collections.products.update(held.query, held.update)).toBe(1);

			// The event is delivered again to a live node.
			const reservation = await reserve(broker, "order-dead-node", lines);
			expect(reservation.status).toBe("RESERVED");
			expect(await Promise.all(lines.map((line) => stockOf(broker, line.productId)))).toEqual(lines.map((line) => 10 - line.qty));
		});

		it("leaves a reservation to the call taking its holds while that call's lease lasts: the stock is taken once, also once that call has sold it", async () => {
			const product = await createProduct(broker, "RES-LEASED", 10);
			const lines = [{ productId: product.id, qty: 2 }];
			const { collections } = broker.getLocalService("catalogue") as unknown as {
				collections: { reservations: Collection<ReservationDoc>; products: Collection<ProductDoc> };
			};
			const stored = async () => (await collections.products.findOne({ _id: product.id }))!;
			// A call on another node began the reservation and has its holds to itself for 8 s more.
			await collections.reservations.insert(newReservation("order-leased", lines, new Date(), 60_000, 8_000));

			// The event, delivered again meanwhile, waits longer than a decision is otherwise waited for
			// without taking stock of its own.
			const again = reserve(broker, "order-leased", lines);
			await new Promise((resolve) => setTimeout(resolve, 6_000));
			expect((await stored()).stock).toBe(10);

			// The first call holds and decides; the payment settles and the sale forgets its hold.
			const held = takeHold(lines[0]!, "order-leased", new Date());
			expect(await collections.products.update(held.query, held.update)).toBe(1);
			expect(await collections.reservations.update({ _id: "order-leased", status: "PENDING" }, { $set: { status: "RESERVED", settled: true } })).toBe(1);
			expect((await again).status).toBe("RESERVED");
			await broker.call("catalogue.commit", { orderId: "order-leased" });
			expect(await stored()).toMatchObject({ stock: 8, holds: {} });
		}, 15_000);

		it("refuses the same orderId with different items", async () => {
			const product = await createProduct(broker, "RES-5", 10);
			await reserve(broker, "order-mismatch", [{ productId: product.id, qty: 1 }]);
			await expect(reserve(broker, "order-mismatch", [{ productId: product.id, qty: 2 }])).rejects.toMatchObject({
				code: 409,
				type: "RESERVATION_MISMATCH",
			});
			expect(await stockOf(broker, product.id)).toBe(9);
		});

		it("rejects a deactivated or unknown product as unavailable", async () => {
			const product = await createProduct(broker, "RES-6", 10);
			await broker.call("catalogue.deactivate", { id: product.id }, admin);
			const inactive = await reserve(broker, "order-inactive", [{ productId: product.id, qty: 1 }]);
			const unknown = await reserve(broker, "order-unknown", [{ productId: "no-such-product", qty: 1 }]);
			expect(inactive.rejection?.reason).toBe("PRODUCT_UNAVAILABLE");
			expect(unknown.rejection?.reason).toBe("PRODUCT_UNAVAILABLE");
			expect(await stockOf(broker, product.id)).toBe(10);
		});

		it("never oversells under many concurrent orders, and what was reserved adds up", async () => {
			const product = await createProduct(broker, "RES-SCARCE", 50);
			const orders = Array.from({ length: 200 }, (_, i) => ({ orderId: `order-scarce-${i}`, qty: (i % 3) + 1 }));
			const results = await Promise.all(orders.map(({ orderId, qty }) => reserve(broker, orderId, [{ productId: product.id, qty }])));
			const reserved = results.filter((result) => result.status === "RESERVED").reduce((sum, result) => sum + result.items[0]!.qty, 0);
			const remaining = await stockOf(broker, product.id);
			expect(remaining).toBeGreaterThanOrEqual(0);
			expect(reserved).toBeLessThanOrEqual(50);
			expect(reserved + remaining).toBe(50);
			// Scarce enough that some orders must have been turned away.
			expect(results.some((result) => result.status === "REJECTED")).toBe(true);
		});
	});

	describe("catalogue.release and catalogue.commit", () => {
		it("release returns the stock once, however often it is called", async () => {
			const product = await createProduct(broker, "REL-1", 5);
			await reserve(broker, "order-release", [{ productId: product.id, qty: 2 }]);
			const first = await broker.call<Reservation, object>("catalogue.release", { orderId: "order-release" });
			const second = await broker.call<Reservation, object>("catalogue.release", { orderId: "order-release" });
			expect(first.status).toBe("RELEASED");
			expect(second.status).toBe("RELEASED");
			expect(await stockOf(broker, product.id)).toBe(5);
		});

		it("commit keeps the stock sold, is idempotent, and a later release is refused", async () => {
			const product = await createProduct(broker, "COM-1", 5);
			await reserve(broker, "order-commit", [{ productId: product.id, qty: 2 }]);
			expect((await broker.call<Reservation, object>("catalogue.commit", { orderId: "order-commit" })).status).toBe("COMMITTED");
			expect((await broker.call<Reservation, object>("catalogue.commit", { orderId: "order-commit" })).status).toBe("COMMITTED");
			await expect(broker.call("catalogue.release", { orderId: "order-commit" })).rejects.toMatchObject({ code: 409, type: "RESERVATION_FINALISED" });
			expect(await stockOf(broker, product.id)).toBe(3);
		});

		it("refuses to commit a released reservation", async () => {
			const product = await createProduct(broker, "COM-2", 5);
			await reserve(broker, "order-commit-released", [{ productId: product.id, qty: 1 }]);
			await broker.call("catalogue.release", { orderId: "order-commit-released" });
			await expect(broker.call("catalogue.commit", { orderId: "order-commit-released" })).rejects.toMatchObject({
				code: 409,
				type: "RESERVATION_FINALISED",
			});
			expect(await stockOf(broker, product.id)).toBe(5);
		});

		it("answers 404 for an order that never reserved anything", async () => {
			await expect(broker.call("catalogue.release", { orderId: "order-never" })).rejects.toMatchObject({ code: 404, type: "RESERVATION_NOT_FOUND" });
		});
	});

	describe("reservation expiry", () => {
		it("releases a reservation by itself once its time is up", async () => {
			const product = await createProduct(broker, "EXP-1", 4);
			await reserve(broker, "order-expire", [{ productId: product.id, qty: 3 }]);
			expect(await stockOf(broker, product.id)).toBe(1);
			const deadline = Date.now() + 5000;
			let reservation: Reservation;
			do {
				await new Promise((resolve) => setTimeout(resolve, 100));
				reservation = await broker.call("catalogue.getReservation", { orderId: "order-expire" });
			} while (reservation.status !== "EXPIRED" && Date.now() < deadline);
			expect(reservation.status).toBe("EXPIRED");
			expect(await stockOf(broker, product.id)).toBe(4);
			await expect(broker.call("catalogue.commit", { orderId: "order-expire" })).rejects.toMatchObject({ code: 409 });
		});
	});
});

describe("catalogue store", () => {
	it("keeps products and reservations in files that survive a restart", async () => {
		const first = await startShop({ services: ["catalogue"] });
		const product = await createProduct(first.broker, "PERSIST-1", 8);
		await reserve(first.broker, "order-persist", [{ productId: product.id, qty: 3 }]);
		await first.stop();

		const second = await startShop({ services: ["catalogue"], dataDir: first.dataDir });
		try {
			expect(await stockOf(second.broker, product.id)).toBe(5);
			const reservation = await second.broker.call<Reservation, object>("catalogue.getReservation", { orderId: "order-persist" });
			expect(reservation.status).toBe("RESERVED");
			// Seeding happens only into an empty catalogue, never twice.
			const page = await second.broker.call<{ total: number }, object>("catalogue.list", { pageSize: 1 });
			expect(page.total).toBe(24 + 1);
		} finally {
			await second.destroy();
		}
	});
});

describe("catalogue read cache", () => {
	let shop: TestShop;
	let broker: ServiceBroker;
	let metricsUrl: string;

	/** Reads as a shopper makes them (no admin role), so they may come from the cache. */
	const shopperView = (id: string) => broker.call<Product, object>("catalogue.get", { id });
	const shopperPage = (category: string) => broker.call<Page<Product>, object>("catalogue.list", { category });
	const cacheHits = async () => sample(await scrape(metricsUrl), "moleculer_cacher_found_total") ?? 0;

	beforeAll(async () => {
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		shop = await startShop({
			services: ["catalogue"],
			env: { METRICS_PORT: String(metricsPort), RESERVATION_TTL_MS: "1000", RESERVATION_SWEEP_MS: "100" },
		});
		broker = shop.broker;
	});
	afterAll(() => shop.destroy());

	it("answers repeated reads of a product and of a page from the cache", async () => {
		const product = await createProduct(broker, "CACHE-HIT", 3, { category: "cache-hit" });
		await shopperView(product.id);
		await shopperPage("cache-hit");
		const before = await cacheHits();
		expect(await shopperView(product.id)).toMatchObject({ id: product.id, stock: 3 });
		expect((await shopperPage("cache-hit")).rows.map((row) => row.id)).toEqual([product.id]);
		expect((await cacheHits()) - before).toBe(2);
	});

	it("serves the new price in the product and on its page right after an update", async () => {
		const product = await createProduct(broker, "CACHE-PRICE", 3, { category: "cache-price", priceCents: 1000 });
		await shopperView(product.id);
		await shopperPage("cache-price");
		await broker.call("catalogue.update", { id: product.id, priceCents: 1299, name: "Renamed" }, admin);
		expect(await shopperView(product.id)).toMatchObject({ priceCents: 1299, name: "Renamed" });
		expect((await shopperPage("cache-price")).rows[0]).toMatchObject({ priceCents: 1299, name: "Renamed" });
	});

	it("shows stock taken by a reservation at once, and given back by a release and by an expiry", async () => {
		const product = await createProduct(broker, "CACHE-STOCK", 10, { category: "cache-stock" });
		await shopperView(product.id);
		await shopperPage("cache-stock");
		await reserve(broker, "order-cache-1", [{ productId: product.id, qty: 4 }]);
		expect((await shopperView(product.id)).stock).toBe(6);
		expect((await shopperPage("cache-stock")).rows[0]!.stock).toBe(6);
		await broker.call("catalogue.release", { orderId: "order-cache-1" });
		expect((await shopperView(product.id)).stock).toBe(10);

		await reserve(broker, "order-cache-2", [{ productId: product.id, qty: 7 }]);
		expect((await shopperView(product.id)).stock).toBe(3);
		// The sweeper expires the hold within about a second; a cached read would keep showing 3 for 30 s.
		expect(await waitForValue(async () => (await shopperView(product.id)).stock, 10, 10_000, 100)).toBe(10);
		expect((await shopperPage("cache-stock")).rows[0]!.stock).toBe(10);
	});

	it("keeps stock sold by a commit, and shows it back once the confirmed order is cancelled", async () => {
		const product = await createProduct(broker, "CACHE-SOLD", 5, { category: "cache-sold" });
		await reserve(broker, "order-cache-3", [{ productId: product.id, qty: 2 }]);
		await broker.call("catalogue.commit", { orderId: "order-cache-3" });
		expect((await shopperView(product.id)).stock).toBe(3);
		const cancelled: OrderCancelled = {
			id: randomUUID(),
			type: "order.cancelled",
			occurredAt: new Date().toISOString(),
			aggregateId: "order-cache-3",
			correlationId: "order-cache-3",
			orderId: "order-cache-3",
			customerId: "customer-1",
			reason: "CUSTOMER_CANCELLED",
			previousStatus: "CONFIRMED",
			totalCents: 2000,
			currency: "EUR",
		};
		await broker.emit(cancelled.type, cancelled);
		expect(await waitForValue(async () => (await shopperView(product.id)).stock, 5, 10_000, 50)).toBe(5);
	});

	it("stops showing a deactivated product at once, and shows a new one on the next page read", async () => {
		const product = await createProduct(broker, "CACHE-GONE", 1, { category: "cache-gone" });
		await shopperView(product.id);
		expect((await shopperPage("cache-gone")).total).toBe(1);
		await broker.call("catalogue.deactivate", { id: product.id }, admin);
		await expect(shopperView(product.id)).rejects.toMatchObject({ code: 404, type: "PRODUCT_NOT_FOUND" });
		expect((await shopperPage("cache-gone")).total).toBe(0);
		const next = await createProduct(broker, "CACHE-NEW", 1, { category: "cache-gone" });
		expect((await shopperPage("cache-gone")).rows.map((row) => row.id)).toEqual([next.id]);
	});

	it("lists the categories on sale with their counts, kept in the cache through stock moves and dropped by product edits", async () => {
		const categories = () => broker.call<ProductCategory[], object>("catalogue.categories", {});
		const countOf = async (name: string) => (await categories()).find((category) => category.name === name)?.products;
		expect(await countOf("cat-new")).toBeUndefined();
		const first = await createProduct(broker, "CAT-NEW-1", 5, { category: "cat-new" });
		expect(await countOf("cat-new")).toBe(1);
		const listed = await categories();
		expect(listed.map((category) => category.name)).toEqual([...listed.map((category) => category.name)].sort());

		// A reservation moves stock only: the list is still the cached one.
		const before = await cacheHits();
		await reserve(broker, "order-cat-1", [{ productId: first.id, qty: 1 }]);
		expect(await countOf("cat-new")).toBe(1);
		expect((await cacheHits()) - before).toBe(1);

		const second = await createProduct(broker, "CAT-NEW-2", 5, { category: "cat-new" });
		expect(await countOf("cat-new")).toBe(2);
		await broker.call("catalogue.update", { id: second.id, category: "cat-moved" }, admin);
		expect([await countOf("cat-new"), await countOf("cat-moved")]).toEqual([1, 1]);
		await broker.call("catalogue.deactivate", { id: first.id }, admin);
		expect(await countOf("cat-new")).toBeUndefined();
	});

	it("looks products up for other services from the cache, inactive ones included, the misses in one store query", async () => {
		const lookup = (productIds: string[]) => broker.call<ProductSummary[], object>("catalogue.lookup", { productIds });
		const [a, b] = [await createProduct(broker, "LOOKUP-A", 3), await createProduct(broker, "LOOKUP-B", 4, { active: false })];
		const products = (broker.getLocalService("catalogue") as unknown as { collections: { products: Collection<ProductDoc> } }).collections.products;
		const finds = jest.spyOn(products, "find");
		try {
			expect(await lookup([a.id, "no-such-product", b.id, a.id])).toEqual([
				{ id: a.id, sku: "LOOKUP-A", name: "Product LOOKUP-A", priceCents: 1000, currency: "EUR", weightGrams: 500, stock: 3, active: true },
				{ id: b.id, sku: "LOOKUP-B", name: "Product LOOKUP-B", priceCents: 1000, currency: "EUR", weightGrams: 500, stock: 4, active: false },
			]);
			expect(finds).toHaveBeenCalledTimes(1);
			await lookup([b.id, "no-such-product", a.id]);
			expect(finds).toHaveBeenCalledTimes(1);

			await broker.call("catalogue.update", { id: a.id, priceCents: 1299 }, admin);
			await reserve(broker, "order-lookup-1", [{ productId: a.id, qty: 1 }]);
			expect((await lookup([a.id, b.id])).map((product) => [product.id, product.priceCents, product.stock])).toEqual([
				[a.id, 1299, 2],
				[b.id, 1000, 4],
			]);
			expect(finds).toHaveBeenCalledTimes(2);
		} finally {
			finds.mockRestore();
		}
	});

	it("serves admins from the store, inactive products included", async () => {
		const product = await createProduct(broker, "CACHE-ADMIN", 1, { category: "cache-admin", active: false });
		await expect(shopperView(product.id)).rejects.toMatchObject({ code: 404 });
		expect(await broker.call("catalogue.get", { id: product.id }, admin)).toMatchObject({ active: false });
		expect((await broker.call<Page<Product>, object>("catalogue.list", { category: "cache-admin" }, admin)).total).toBe(1);
		expect((await shopperPage("cache-admin")).total).toBe(0);
	});

	it("is off with CATALOGUE_CACHE_TTL_SECONDS=0", async () => {
		const port = await freePort();
		const uncached = await startShop({ services: ["catalogue"], env: { METRICS_PORT: String(port), CATALOGUE_CACHE_TTL_SECONDS: "0" } });
		try {
			const page = await uncached.broker.call<Page<Product>, object>("catalogue.list", {});
			await uncached.broker.call("catalogue.list", {});
			await uncached.broker.call("catalogue.get", { id: page.rows[0]!.id });
			expect(uncached.broker.cacher).toBeFalsy();
			expect(sample(await scrape(`http://127.0.0.1:${port}/metrics`), "moleculer_cacher_found_total") ?? 0).toBe(0);
		} finally {
			await uncached.destroy();
		}
	});
});
