import { randomUUID } from "node:crypto";
import type { Order } from "../../contracts";
import { adminToken, http, signUp } from "../helpers/shop";
import { TestCluster } from "./cluster";
import { waitFor } from "../helpers/wait";

const address = { name: "Grace Hopper", line1: "1 Harbor Rd", city: "Arlington", postalCode: "22201", country: "US" };
const ADMIN = { email: "admin@infra.local", password: "admin-infra-password" };


describe("the saga across a cluster of node processes over NATS, Kafka and MongoDB", () => {
	let cluster: TestCluster;
	let api: ReturnType<typeof http>;
	let admin: string;
	let customer: string;
	const run = randomUUID().slice(0, 8);

	beforeAll(async () => {
		cluster = new TestCluster(
			{
				...TestCluster.infraEnv(),
				ADMIN_EMAIL: ADMIN.email,
				ADMIN_PASSWORD: ADMIN.password,
				AUTH_RATE_LIMIT_PER_MINUTE: "10000",
				OUTBOX_RELAY_MS: "200",
				// Long enough that a service stopped on purpose does not time the sagas out meanwhile.
				SAGA_STEP_TIMEOUT_MS: "120000",
			},
			Number(process.env.INFRA_TEST_PORT ?? 3900),
		);
		await cluster.startAll({ payments: 2 });
		api = http(cluster.baseUrl);
		admin = await adminToken(cluster.baseUrl, ADMIN);
		customer = (await signUp(cluster.baseUrl, `buyer-${run}@example.com`)).token;
	});
	afterAll(async () => {
		await cluster?.stopAll();
	});

	async function product(stock: number, priceCents = 2000): Promise<string> {
		const res = await api.post("/products", { sku: `INFRA-${run}-${randomUUID().slice(0, 6)}`, name: "Infra product", category: "infra", priceCents, stock }, admin);
		expect(res.status).toBe(201);
		return res.body.id;
	}
	const finalOrder = (id: string) =>
		waitFor(
			async () => (await api.get(`/orders/${id}`, customer)).body as Order,
			(order) => order.status === "CONFIRMED" || order.status === "CANCELLED",
			60_000,
			200,
		);

	it("confirms a paid order and cancels a declined one, each service in its own process", async () => {
		const productId = await product(5, 3100);
		const paid = (await api.post("/orders", { items: [{ productId, qty: 2 }], shippingAddress: address }, customer)).body as Order;
		const declined = (await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address, paymentMethod: "tok_decline" }, customer))
			.body as Order;

		expect((await finalOrder(paid.id)).status).toBe("CONFIRMED");
		expect(await finalOrder(declined.id)).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
		const stock = await waitFor(async () => (await api.get(`/products/${productId}`)).body.stock as number, (value) => value === 3, 60_000, 200);
		expect(stock).toBe(3);
		const payment = (await api.get(`/payments?orderId=${paid.id}`, customer)).body.rows[0];
		expect(payment).toMatchObject({ status: "SETTLED", amountCents: 6200 });
		// The services ran as separate node processes; each wrote its own log.
		for (const service of ["api", "catalogue", "customers", "orders", "payments", "notifications"]) {
			expect(cluster.log.some((line) => line.startsWith(`[${service}#1]`))).toBe(true);
		}
		expect(cluster.log.some((line) => line.includes(`[order ${paid.id}] AWAITING_PAYMENT -> CONFIRMED`))).toBe(true);
	});

	it("catches up after a consuming service was down while 50 orders were placed: none lost", async () => {
		const productId = await product(500, 1000);
		for (const node of cluster.running("payments")) await cluster.stop(node);

		const placed = await Promise.all(
			Array.from({ length: 50 }, async () => (await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address }, customer)).body as Order),
		);
		expect(placed.every((order) => order.status === "PENDING")).toBe(true);
		// Without payments the sagas can get no further than a reservation.
		await new Promise((resolve) => setTimeout(resolve, 2000));
		const stalled = await Promise.all(placed.map(async (order) => ((await api.get(`/orders/${order.id}`, customer)).body as Order).status));
		expect(stalled.filter((status) => status === "CONFIRMED")).toEqual([]);

		const restartedAt = Date.now();
		cluster.start("payments", 3);
		const finals = await Promise.all(placed.map((order) => finalOrder(order.id)));
		const drainedMs = Date.now() - restartedAt;
		expect(finals.map((order) => order.status)).toEqual(placed.map(() => "CONFIRMED"));
		console.log(`catch-up: 50 orders confirmed ${drainedMs} ms after payments restarted`);
	});
});
