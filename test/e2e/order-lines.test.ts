import { startShopWithUsers, type ShopWithUsers, type TestShop } from "../helpers/shop";

/*
 * At most 100 of one product per order. The cap holds for the order as it will be reserved and
 * charged, after lines for the same product are merged, so repeating a line cannot get round it.
 */

const shippingAddress = { name: "Line Tester", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };

describe("the per-product quantity cap of an order", () => {
	let shop: TestShop, api: ShopWithUsers["api"], customer: string, productId: string;

	beforeAll(async () => {
		let admin: string;
		({ shop, api, customer, admin } = await startShopWithUsers("lines@example.com"));
		// A product of its own, with stock enough for every order the cap lets through, light
		// enough that 100 of them still go as one parcel (10 kg).
		const created = await api.post(
			"/products",
			{ sku: "BULK-1", name: "Bulk item", category: "bulk", priceCents: 100, weightGrams: 100, stock: 1000 },
			admin,
		);
		productId = created.body.id;
	});
	afterAll(() => shop.destroy());

	const lines = (...qtys: number[]) => qtys.map((qty) => ({ productId, qty }));

	for (const split of [
		[100, 100, 100],
		[60, 41],
		[100, 1],
		[...Array<number>(49).fill(1), 52],
	]) {
		it(`refuses ${split.length} lines of one product (${split.length > 3 ? "49 × 1 + 52" : split.join(" + ")}) with 422, storing and charging nothing`, async () => {
			const before = (await api.get(`/products/${productId}`)).body.stock;
			const res = await api.post("/orders", { items: lines(...split), shippingAddress }, customer);
			expect(res.status).toBe(422);
			expect(res.body.error).toMatchObject({ type: "LINE_QTY_TOO_LARGE", data: { productIds: [productId], max: 100 } });
			expect((await api.get("/orders", customer)).body.total).toBe(0);
			expect((await api.get("/payments", customer)).body.total).toBe(0);
			expect((await api.get(`/products/${productId}`)).body.stock).toBe(before);
		});
	}

	it("accepts exactly 100 spread over several lines, as one line of 100", async () => {
		const res = await api.post("/orders", { items: lines(40, 35, 25), shippingAddress }, customer);
		expect(res.status).toBe(201);
		expect(res.body.items).toEqual([expect.objectContaining({ productId, qty: 100, lineTotalCents: 10_000 })]);
		expect(res.body).toMatchObject({ goodsCents: 10_000, shipping: { weightGrams: 10_000 } });
		expect(res.body.totalCents).toBe(10_000 + res.body.shippingCents);
	});
});
