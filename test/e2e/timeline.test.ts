import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import type { Order, OrderStats, OrderTimeline, TimelineEntry } from "../../contracts";
import { newOrder, type OrderDoc } from "../../services/orders/order";
import type { Collection } from "../../mixins/store.mixin";
import { adminToken, http, signUp, startShop, type TestShop, TEST_ADDRESS, TEST_SHIPPING } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * An operator's view of orders over HTTP: one order's whole story across the services, and the
 * list of everyone's orders narrowed to find the stuck ones.
 */

const address = TEST_ADDRESS;
const FAST = { OUTBOX_RELAY_MS: "100", EVENT_RETRY_BASE_MS: "20", SAGA_STEP_TIMEOUT_MS: "30000", CARRIER_SLOW_MS: "3000" };

type Step = [service: TimelineEntry["service"], status: string, reason?: string];

/** Where the first entry of that service, status (and reason) is; -1 when there is none. */
function indexOf(entries: TimelineEntry[], [service, status, reason]: Step): number {
	return entries.findIndex((entry) => entry.service === service && entry.status === status && (reason === undefined || entry.reason === reason));
}

/** The steps as found in the timeline, in the timeline's order: equal to `steps` when each is there, once, in that order. */
function inTimeline(entries: TimelineEntry[], steps: Step[]): Step[] {
	return steps
		.map((step) => ({ step, at: indexOf(entries, step) }))
		.filter(({ at }) => at >= 0)
		.sort((a, b) => a.at - b.at)
		.map(({ step }) => step);
}

function expectChronological(entries: TimelineEntry[]) {
	const times = entries.map((entry) => Date.parse(entry.at));
	expect(times.every((time) => Number.isFinite(time))).toBe(true);
	expect(times).toEqual([...times].sort((a, b) => a - b));
}

describe("an operator's view of orders", () => {
	let shop: TestShop;
	let api: ReturnType<typeof http>;
	let admin: string;
	let customer: string;
	let other: { token: string; id: string };

	async function newProduct(sku: string, stock: number, priceCents = 1500): Promise<string> {
		const res = await api.post("/products", { sku, name: `Timeline ${sku}`, category: "timeline", priceCents, stock }, admin);
		expect(res.status).toBe(201);
		return res.body.id;
	}
	async function placeOrder(token: string, productId: string, paymentMethod = "tok_visa", postalCode = address.postalCode): Promise<Order> {
		const res = await api.post("/orders", { items: [{ productId, qty: 2 }], shippingAddress: { ...address, postalCode }, paymentMethod }, token);
		expect(res.status).toBe(201);
		return res.body;
	}
	const timelineOf = async (id: string) => (await api.get(`/admin/orders/${id}/timeline`, admin)).body as OrderTimeline;
	/** The timeline once every step named is in it, or as it is when time runs out. */
	const timelineWith = (id: string, steps: Step[]) =>
		waitFor(
			() => timelineOf(id),
			(timeline) => steps.every((step) => indexOf(timeline.entries ?? [], step) >= 0),
		);
	const adminList = async (query: string) => (await api.get(`/admin/orders?${query}`, admin)).body as { rows: Order[]; total: number };

	beforeAll(async () => {
		shop = await startShop({ env: FAST });
		api = http(shop.baseUrl);
		admin = await adminToken(shop.baseUrl);
		customer = (await signUp(shop.baseUrl, "timeline@example.com")).token;
		const signedUp = await signUp(shop.baseUrl, "timeline-other@example.com");
		other = { token: signedUp.token, id: signedUp.customer.id };
	});
	afterAll(() => shop.destroy());

	describe("GET /api/admin/orders/:id/timeline", () => {
		it("tells a confirmed order's story in time order: placed, stock reserved, charged, confirmed, email sent", async () => {
			const order = await placeOrder(customer, await newProduct("TL-HAPPY", 10, 2500));
			const story: Step[] = [
				["orders", "PENDING", "ORDER_PLACED"],
				["catalogue", "RESERVED", "STOCK_HELD"],
				["payments", "PROCESSING", "PROCESSOR_ANSWERED_SUCCEEDED"],
				["payments", "SETTLED", "PROCESSOR_SUCCEEDED"],
				["orders", "AWAITING_SHIPMENT", "PAYMENT_SETTLED"],
				["shipping", "BOOKING", "BOOKING_STARTED"],
				["shipping", "LABELLED", "CARRIER_ACCEPTED"],
				["orders", "CONFIRMED", "SHIPMENT_BOOKED"],
				["notifications", "SENT", "order.confirmed"],
			];
			const timeline = await timelineWith(order.id, story);
			expect(inTimeline(timeline.entries, story)).toEqual(story);
			expectChronological(timeline.entries);
			expect(timeline).toMatchObject({ orderId: order.id, status: "CONFIRMED", missing: [] });
			expect(timeline.entries[indexOf(timeline.entries, story[3]!)]!.details).toMatchObject({ amountCents: 5990, currency: "EUR" });
			// The sale is recorded by catalogue too, after the charge that caused it.
			expect(indexOf(timeline.entries, ["catalogue", "COMMITTED"])).toBeGreaterThan(indexOf(timeline.entries, story[3]!));
		});

		it("shows a declined card's cancellation, the stock released and the email", async () => {
			const order = await placeOrder(customer, await newProduct("TL-DECLINE", 5), "tok_decline");
			const story: Step[] = [
				["orders", "PENDING", "ORDER_PLACED"],
				["catalogue", "RESERVED", "STOCK_HELD"],
				["payments", "DECLINED", "PROCESSOR_DECLINED"],
				["orders", "CANCELLED", "PAYMENT_DECLINED"],
				["notifications", "SENT", "order.cancelled"],
			];
			const released: Step = ["catalogue", "RELEASED", "PAYMENT_FAILED"];
			const timeline = await timelineWith(order.id, [...story, released]);
			expect(inTimeline(timeline.entries, story)).toEqual(story);
			expect(indexOf(timeline.entries, released)).toBeGreaterThan(indexOf(timeline.entries, story[2]!));
			expect(indexOf(timeline.entries, ["payments", "SETTLED"])).toBe(-1);
			expectChronological(timeline.entries);
		});

		it("shows the refund of an order cancelled after it was paid, the stock returned and the late label voided", async () => {
			// The carrier sandbox is slow for this postal code: there is time to cancel before the label.
			const order = await placeOrder(customer, await newProduct("TL-REFUND", 4, 999), "tok_visa", "99999");
			await timelineWith(order.id, [["orders", "AWAITING_SHIPMENT"]]);
			expect((await api.post(`/orders/${order.id}/cancel`, undefined, customer)).status).toBe(200);
			const story: Step[] = [
				["orders", "AWAITING_SHIPMENT", "PAYMENT_SETTLED"],
				["orders", "CANCELLED", "CUSTOMER_CANCELLED"],
				["payments", "REFUNDING", "REFUND_STARTED"],
				["payments", "REFUNDED", "PROCESSOR_REFUNDED"],
				["orders", "CANCELLED", "PAYMENT_REFUNDED"],
			];
			const returned: Step = ["catalogue", "RETURNED", "ORDER_CANCELLED"];
			const voided: Step = ["shipping", "VOIDED", "LABEL_VOIDED"];
			const timeline = await timelineWith(order.id, [...story, returned, voided, ["notifications", "SENT", "payment.refunded"]]);
			expect(inTimeline(timeline.entries, story)).toEqual(story);
			expect(indexOf(timeline.entries, returned)).toBeGreaterThan(indexOf(timeline.entries, story[1]!));
			expect(indexOf(timeline.entries, voided)).toBeGreaterThan(indexOf(timeline.entries, story[1]!));
			expect(timeline.entries[indexOf(timeline.entries, story[3]!)]!.details).toEqual({ refundedCents: 1998 + order.shippingCents, currency: "EUR" });
			expectChronological(timeline.entries);
		});

		it("answers in the shape the API document declares, as the lists do", async () => {
			const document = (await api.get("/openapi.json")).body as object;
			const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
			addFormats(ajv);
			ajv.addSchema(document, "openapi");
			const conforms = (name: string, body: unknown) => {
				const check = ajv.getSchema(`openapi#/components/schemas/${name}`)!;
				return { name, errors: check(body) ? null : check.errors };
			};
			const [someone] = (await adminList("status=CANCELLED&pageSize=1")).rows;
			expect(conforms("OrderTimeline", await timelineOf(someone!.id))).toEqual({ name: "OrderTimeline", errors: null });
			expect(conforms("OrderPage", await adminList("pageSize=100"))).toEqual({ name: "OrderPage", errors: null });
		});

		it("is 404 ORDER_NOT_FOUND for an order that does not exist", async () => {
			const res = await api.get("/admin/orders/no-such-order/timeline", admin);
			expect(res.status).toBe(404);
			expect(res.body.error.type).toBe("ORDER_NOT_FOUND");
		});
	});

	describe("GET /api/admin/orders", () => {
		let stuckId: string;

		beforeAll(async () => {
			// A saga cannot be made to stall on demand, so an order stuck in PENDING for two hours is
			// written straight into the orders store, as a crashed saga would have left it.
			const orders = (shop.broker.getLocalService("orders") as unknown as { collections: { orders: Collection<OrderDoc> } }).collections.orders;
			const placed = new Date(Date.now() - 2 * 3600 * 1000);
			const priced = {
				items: [{ productId: "p-stuck", sku: "STUCK", name: "Stuck", unitPriceCents: 100, qty: 1, lineTotalCents: 100 }],
				goodsCents: 100,
				weightGrams: 500,
				currency: "EUR",
			};
			const doc = newOrder(
				{ customerId: other.id, shippingAddress: address, paymentMethod: "tok_visa", shipping: TEST_SHIPPING },
				priced,
				"order-stuck-1",
				placed,
				3 * 3600 * 1000,
			);
			await orders.insert(doc);
			stuckId = doc._id;
		});

		it("lists every customer's orders, narrowed by status", async () => {
			const confirmed = await adminList("status=CONFIRMED&pageSize=100");
			const cancelled = await adminList("status=CANCELLED&pageSize=100");
			expect(confirmed.total).toBeGreaterThan(0);
			expect(cancelled.total).toBeGreaterThan(0);
			expect(confirmed.rows.every((order) => order.status === "CONFIRMED")).toBe(true);
			expect(cancelled.rows.every((order) => order.status === "CANCELLED")).toBe(true);
			expect((await adminList("pageSize=100")).total).toBe(confirmed.total + cancelled.total + 1);
		});

		it("narrows by customer", async () => {
			const order = await placeOrder(other.token, await newProduct("TL-OTHER", 3));
			const theirs = await adminList(`customerId=${other.id}`);
			expect(theirs.rows.map((row) => row.id).sort()).toEqual([order.id, stuckId].sort());
			expect(theirs.total).toBe(2);
			expect((await adminList("customerId=nobody")).total).toBe(0);
		});

		it("narrows by age: PENDING for longer than a minute finds the stuck saga alone", async () => {
			const stuck = await adminList("status=PENDING&olderThanSeconds=60");
			expect(stuck.rows.map((row) => row.id)).toEqual([stuckId]);
			expect((await adminList("olderThanSeconds=7200")).rows.map((row) => row.id)).toEqual([stuckId]);
			expect((await adminList("olderThanSeconds=10800")).total).toBe(0);
			const fresh = await placeOrder(customer, await newProduct("TL-AGE", 3));
			const older = await waitFor(
				() => adminList("olderThanSeconds=1&pageSize=100"),
				(page) => page.rows.some((row) => row.id === fresh.id),
				5000,
			);
			expect(older.rows.map((row) => row.id)).toContain(fresh.id);
		});

		it("shows where a stuck saga stopped: placed, and nothing from the other services, none of them missing", async () => {
			const timeline = await timelineOf(stuckId);
			expect(timeline.entries.map((entry) => `${entry.service} ${entry.status}`)).toEqual(["orders PENDING"]);
			expect(timeline.missing).toEqual([]);
		});

		it("counts the orders of a window by status, exactly, and times the settled ones' sagas", async () => {
			const stats = async (sinceSeconds: number) => (await api.get(`/admin/orders/stats?sinceSeconds=${sinceSeconds}`, admin)).body as OrderStats;
			// Every saga settled first, so that the lists and the counts describe the same orders.
			await waitFor(
				() => adminList("status=AWAITING_PAYMENT"),
				(page) => page.total === 0,
			);
			const day = await stats(86400);
			for (const status of ["PENDING", "AWAITING_PAYMENT", "CONFIRMED", "CANCELLED"] as const) {
				expect({ status, count: day.byStatus[status] }).toEqual({ status, count: (await adminList(`status=${status}`)).total });
			}
			expect(day.total).toBe((await adminList("")).total);
			expect(day.sagaMs.count).toBe(day.byStatus.CONFIRMED + day.byStatus.CANCELLED);
			expect(day.sagaMs.count).toBeGreaterThan(0);
			const { p50, p95, max } = day.sagaMs;
			expect(0 <= p50! && p50! <= p95! && p95! <= max!).toBe(true);
			expect(day.truncated).toBe(false);
			// The stuck order was placed two hours ago: outside the last hour.
			const hour = await stats(3600);
			expect(day.total - hour.total).toBe(1);
			expect(Date.parse(hour.since)).toBeGreaterThan(Date.now() - 3600 * 1000 - 60_000);
		});

		it("refuses a window that is not a whole number of seconds up to a day with 422", async () => {
			for (const since of ["0", "-5", "1.5", "86401", "soon"]) {
				const res = await api.get(`/admin/orders/stats?sinceSeconds=${since}`, admin);
				expect({ since, status: res.status, type: res.body.error?.type }).toEqual({ since, status: 422, type: "VALIDATION_ERROR" });
			}
		});

		it("refuses an age that is not a whole number of seconds with 422", async () => {
			for (const age of ["0", "-5", "1.5", "soon", "1e300"]) {
				const res = await api.get(`/admin/orders?olderThanSeconds=${age}`, admin);
				expect({ age, status: res.status, type: res.body.error?.type }).toEqual({ age, status: 422, type: "VALIDATION_ERROR" });
			}
		});
	});

	it("is for admins: a customer gets 403 and no token 401 on each route", async () => {
		// The gateway checks the role before the action runs, so the order need not exist.
		for (const path of ["/admin/orders", "/admin/orders/any-order/timeline", "/admin/orders/stats"]) {
			const asCustomer = await api.get(path, customer);
			expect({ path, status: asCustomer.status, type: asCustomer.body.error?.type }).toEqual({ path, status: 403, type: "ROLE_FORBIDDEN" });
			expect((await api.get(path)).status).toBe(401);
		}
	});
});

describe("an order's timeline while a service is down", () => {
	let shop: TestShop;
	afterAll(() => shop?.destroy());

	it("answers with the parts it has and names the one missing, not a 5xx", async () => {
		shop = await startShop({ services: ["api", "catalogue", "customers", "orders", "payments", "shipping", "payment-sandbox"], env: FAST });
		const api = http(shop.baseUrl);
		const admin = await adminToken(shop.baseUrl);
		const customer = (await signUp(shop.baseUrl, "timeline-down@example.com")).token;
		const productId = (await api.get("/products?pageSize=1")).body.rows[0].id as string;
		const order = (await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address }, customer)).body as Order;
		const timeline = await waitFor(
			async () => (await api.get(`/admin/orders/${order.id}/timeline`, admin)).body as OrderTimeline,
			(body) => body.status === "CONFIRMED",
		);
		expect(timeline.missing).toEqual([{ service: "notifications", error: "SERVICE_NOT_FOUND" }]);
		expect(
			inTimeline(timeline.entries, [
				["payments", "SETTLED"],
				["orders", "CONFIRMED"],
			]),
		).toEqual([
			["payments", "SETTLED"],
			["orders", "CONFIRMED"],
		]);
		expect(timeline.entries.some((entry) => entry.service === "notifications")).toBe(false);
	});
});
