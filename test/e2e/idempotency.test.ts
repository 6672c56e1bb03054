import type { Order } from "../../contracts";
import { processorLedger } from "../helpers/processor";
import { signUp, startShopWithUsers, type HttpResult, type ShopWithUsers, type TestShop, TEST_ADDRESS } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * POST /api/orders with an Idempotency-Key (Stripe's model): one order and one charge however
 * often, and however concurrently, the same request is sent; the same key with another body is
 * refused; keys are per customer and expire.
 */

const address = TEST_ADDRESS;

describe("placing an order with an Idempotency-Key", () => {
	let shop: TestShop, api: ShopWithUsers["api"], customer: string, other: string, productId: string;

	const charges = async (orderId: string) => {
		return (await processorLedger(shop.processor, orderId)).filter((entry) => entry.kind === "charge");
	};
	const ordersOf = async (token: string) => (await api.get("/orders?pageSize=100", token)).body.rows as Order[];
	const place = (token: string, key: string | undefined, qty = 1): Promise<HttpResult> =>
		api.post("/orders", { items: [{ productId, qty }], shippingAddress: address }, token, key === undefined ? {} : { "idempotency-key": key });

	beforeAll(async () => {
		({ shop, api, customer, productId } = await startShopWithUsers("keys@example.com", {
			env: { OUTBOX_RELAY_MS: "100", EVENT_RETRY_BASE_MS: "20", IDEMPOTENCY_KEY_TTL_SECONDS: "3" },
			product: { sku: "IDEM-1", name: "Idempotent mug", category: "idem", priceCents: 1200, stock: 1000 },
		}));
		other = (await signUp(shop.baseUrl, "other-keys@example.com")).token;
	});
	afterAll(() => shop?.destroy());

	it("sent 10 times at once, places one order, charged once, and answers it to every request", async () => {
		const before = (await ordersOf(customer)).length;
		const answers = await Promise.all(Array.from({ length: 10 }, () => place(customer, "ten-at-once")));
		expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
		const ids = new Set(answers.map((answer) => answer.body.id));
		expect(ids.size).toBe(1);
		const [id] = [...ids];
		expect(answers.every((answer) => answer.headers.get("location") === `/api/orders/${id}`)).toBe(true);
		// Every answer but the one that placed it says it is a replay.
		expect(answers.filter((answer) => answer.headers.get("idempotent-replayed") === "true").length).toBe(9);

		const confirmed = await waitFor(
			async () => (await api.get<Order>(`/orders/${id}`, customer)).body,
			(order) => order.status === "CONFIRMED",
		);
		expect(confirmed.status).toBe("CONFIRMED");
		expect(await ordersOf(customer)).toHaveLength(before + 1);
		expect(await charges(id!)).toHaveLength(1);
	});

	it("sent again after it was placed, answers the same order and places nothing", async () => {
		const first = await place(customer, "again-later");
		expect(first.status).toBe(201);
		const count = (await ordersOf(customer)).length;
		const again = await place(customer, "again-later");
		expect(again.status).toBe(201);
		expect(again.body.id).toBe(first.body.id);
		expect(again.headers.get("idempotent-replayed")).toBe("true");
		expect(first.headers.get("idempotent-replayed")).toBeNull();
		expect(await ordersOf(customer)).toHaveLength(count);
	});

	it("refuses the same key with another body (422 IDEMPOTENCY_KEY_REUSED) and stores nothing", async () => {
		const first = await place(customer, "one-body-only", 1);
		expect(first.status).toBe(201);
		const count = (await ordersOf(customer)).length;
		const reused = await place(customer, "one-body-only", 2);
		expect(reused.status).toBe(422);
		expect(reused.body.error.type).toBe("IDEMPOTENCY_KEY_REUSED");
		expect(await ordersOf(customer)).toHaveLength(count);
	});

	it("keeps keys per customer: another customer's same key places their own order and never reveals the first", async () => {
		const mine = await place(customer, "shared-key");
		const theirs = await place(other, "shared-key");
		expect(theirs.status).toBe(201);
		expect(theirs.body.id).not.toBe(mine.body.id);
		expect(theirs.headers.get("idempotent-replayed")).toBeNull();
		expect((await api.get(`/orders/${mine.body.id}`, other)).status).toBe(404);
	});

	it("places a new order for a key sent again after it expired", async () => {
		const first = await place(customer, "short-lived");
		// IDEMPOTENCY_KEY_TTL_SECONDS is 3 here: until then the key answers the first order.
		const later = await waitFor(
			() => place(customer, "short-lived"),
			(answer) => answer.body.id !== first.body.id,
			10_000,
			250,
		);
		expect(later.status).toBe(201);
		expect(later.body.id).not.toBe(first.body.id);
		expect(later.headers.get("idempotent-replayed")).toBeNull();
	});

	it.each([
		["too long", "k".repeat(256)],
		["not ASCII", "cl\u00e9"],
	])("refuses a key that is %s with 400 IDEMPOTENCY_KEY_INVALID and places nothing", async (_what, key) => {
		const count = (await ordersOf(customer)).length;
		const answer = await place(customer, key);
		expect(answer.status).toBe(400);
		expect(answer.body.error.type).toBe("IDEMPOTENCY_KEY_INVALID");
		expect(await ordersOf(customer)).toHaveLength(count);
	});

	it("places an order for each request without a key, as before", async () => {
		const [a, b] = await Promise.all([place(customer, undefined), place(customer, undefined)]);
		expect(a.body.id).not.toBe(b.body.id);
	});

	describe("on a checkout from the cart", () => {
		const body = { shippingAddress: address, paymentMethod: "tok_visa" };
		const checkout = (key: string, payload: object = body) => api.post("/cart/checkout", payload, customer, { "idempotency-key": key });
		const fillCart = async () => expect((await api.put(`/cart/items/${productId}`, { qty: 2 }, customer)).status).toBe(200);

		it("sent 10 times at once, places one order, charged once, and empties the cart", async () => {
			await fillCart();
			const before = (await ordersOf(customer)).length;
			const answers = await Promise.all(Array.from({ length: 10 }, () => checkout("checkout-ten")));
			expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
			const ids = new Set(answers.map((answer) => answer.body.id as string));
			expect(ids.size).toBe(1);
			const [id] = [...ids];
			expect(answers[0]!.body.items).toMatchObject([{ productId, qty: 2 }]);
			await waitFor(
				async () => (await api.get<Order>(`/orders/${id}`, customer)).body.status,
				(status) => status === "CONFIRMED",
			);
			expect(await ordersOf(customer)).toHaveLength(before + 1);
			expect(await charges(id!)).toHaveLength(1);
			expect((await api.get("/cart", customer)).body.lines).toEqual([]);
		});

		it("sent again after the cart was emptied, answers the same order instead of refusing an empty cart", async () => {
			await fillCart();
			const first = await checkout("checkout-again");
			expect(first.status).toBe(201);
			const again = await checkout("checkout-again");
			expect(again.status).toBe(201);
			expect(again.body.id).toBe(first.body.id);
			expect(again.headers.get("idempotent-replayed")).toBe("true");
		});

		it("refuses the key with another body (422 IDEMPOTENCY_KEY_REUSED) and keeps the cart", async () => {
			await fillCart();
			const first = await checkout("checkout-once");
			expect(first.status).toBe(201);
			await fillCart();
			const reused = await checkout("checkout-once", { ...body, paymentMethod: "tok_mastercard" });
			expect(reused.status).toBe(422);
			expect(reused.body.error.type).toBe("IDEMPOTENCY_KEY_REUSED");
			expect((await api.get("/cart", customer)).body.lines).toHaveLength(1);
			await api.delete("/cart", customer);
		});
	});

	it("ignores the header on a route that takes none", async () => {
		const answer = await api.get("/orders", customer, { "idempotency-key": "k".repeat(300) });
		expect(answer.status).toBe(200);
	});
});
