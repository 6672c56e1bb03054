import type { ServiceBroker } from "moleculer";
import type { Product, Reservation } from "../../contracts";
import { startShop, type TestShop } from "../helpers/shop";

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

	describe("catalogue.update", () => {
		it("sets stock by compare-and-set and reports what changed", async () => {
			const product = await createProduct(broker, "UPD-1", 5);
			const updated = await broker.call<Product, object>("catalogue.update", { id: product.id, stock: 9, priceCents: 1250 }, admin);
			expect(updated).toMatchObject({ stock: 9, priceCents: 1250 });
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
			const reserved = results
				.filter((result) => result.status === "RESERVED")
				.reduce((sum, result) => sum + result.items[0]!.qty, 0);
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
