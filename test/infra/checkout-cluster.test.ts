import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Order } from "../../contracts";
import { decideOn3dsPage, processorLedger } from "../helpers/processor";
import { http, signUp, type HttpResult } from "../helpers/shop";
import { waitFor } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { Shopper } from "./shopper";

/*
 * The cart's checkout with an Idempotency-Key and the live order stream, on the real servers with
 * two gateways and two orders replicas: a checkout whose orders node is killed while it holds it is
 * retried with its key into exactly one order; a stream opened on the gateway that did not take the
 * order sees every change of it. A 3-D Secure payment is approved on the card processor sandbox's
 * page, which runs as a process of its own, and settles by its webhook.
 */

const run = promisify(execFile);
const address = { name: "Grace Hopper", line1: "1 Harbor Rd", city: "Arlington", postalCode: "22201", country: "US" };
const CUSTOMERS = 16;
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("checkout and live status across replicas", () => {
	let cluster: TestCluster;
	let shop: Shopper;
	let secondGateway: string;

	beforeAll(async () => {
		cluster = new TestCluster({ PAYMENT_SLOW_MS: "1500" });
		await cluster.startAll({ orders: 2 });
		// Not sparePort(0): with the local INFRA_TEST_PORT (3950) that is 4045, a port fetch refuses to reach.
		cluster.start("api", 2, { PORT: String(cluster.sparePort(2)) });
		await cluster.waitHealthy();
		secondGateway = `http://127.0.0.1:${cluster.sparePort(2)}/api`;
		shop = await Shopper.signIn(cluster.baseUrl);
	}, 180_000);
	afterAll(async () => {
		await cluster?.stopAll();
	});

	it("retries a checkout whose orders node was killed while holding it into exactly one order, charged once", async () => {
		const api = http(cluster.baseUrl);
		const productId = await shop.product(1000, 1100);
		const customers = await Promise.all(
			Array.from({ length: CUSTOMERS }, async (_, i) => {
				const { token } = await signUp(cluster.baseUrl, `checkout-${shop.run}-${i}@example.com`);
				expect((await api.put(`/cart/items/${productId}`, { qty: 2 }, token)).status).toBe(200);
				return { token, key: `checkout-${shop.run}-${i}` };
			}),
		);
		const checkout = (customer: { token: string; key: string }) =>
			api.post("/cart/checkout", { shippingAddress: address }, customer.token, { "idempotency-key": customer.key });

		const [victim] = cluster.running("orders");
		const logFrom = cluster.log.length;
		const first = Promise.all(customers.map(checkout));
		// Killed once it has placed an order of this burst: others it holds are then mid-way.
		await waitFor(
			async () => cluster.log.slice(logFrom).some((line) => line.startsWith(`[${victim!.label}]`) && line.includes("created:")),
			Boolean,
			60_000,
			5,
		);
		await cluster.kill(victim!);
		const killedAt = Date.now();
		const answers: HttpResult[] = await first;
		const refusals: string[] = [];

		// Every customer whose checkout did not answer 201 sends it again with the same key, until it does: for
		// as long as the others still list the dead node (until its heartbeat times out), a call may reach it.
		const deadline = Date.now() + 120_000;
		const orders = await Promise.all(
			customers.map(async (customer, i) => {
				let answer = answers[i]!;
				while (answer.status !== 201 && Date.now() < deadline) {
					refusals.push(`${Math.round((Date.now() - killedAt) / 1000)}s ${answer.status} ${answer.body?.error?.type ?? ""}`);
					await new Promise((resolve) => setTimeout(resolve, 1000));
					answer = await checkout(customer);
				}
				expect({ status: answer.status, error: answer.status === 201 ? undefined : answer.body }).toEqual({ status: 201, error: undefined });
				return answer.body as Order;
			}),
		);

		console.log(`checkouts refused after the kill, by seconds since it:\n${refusals.join("\n")}`);
		for (const [i, customer] of customers.entries()) {
			const theirs = (await api.get("/orders?pageSize=100", customer.token)).body.rows as Order[];
			expect(theirs.map((order) => order.id)).toEqual([orders[i]!.id]);
			const final = await waitFor(
				async () => (await api.get<Order>(`/orders/${orders[i]!.id}`, customer.token)).body,
				(order) => order.status === "CONFIRMED" || order.status === "CANCELLED",
				90_000,
				250,
			);
			expect(final.status).toBe("CONFIRMED");
			expect((await api.get("/cart", customer.token)).body.lines).toEqual([]);
		}
		const settled = await waitFor(
			() =>
				processorLedger(
					cluster.processor,
					orders.map((order) => order.id),
				),
			(records) => orders.every((order) => records.some((record) => record.kind === "charge" && record.orderId === order.id)),
			30_000,
			250,
		);
		for (const order of orders) expect(settled.filter((record) => record.kind === "charge" && record.orderId === order.id)).toHaveLength(1);
	}, 360_000);

	it("confirms a 3-D Secure payment approved on the processor's page, its outcome coming back as a webhook to the gateway", async () => {
		const productId = await shop.product(10, 1300);
		const placed = await shop.order(productId, 1, "tok_3ds");
		const waiting = await waitFor(
			() => shop.get(placed.id),
			(order) => order.paymentActionUrl !== undefined || ["CONFIRMED", "CANCELLED"].includes(order.status),
			60_000,
			250,
		);
		// The customer's browser is sent to the sandbox's own server, on the address it publishes.
		expect(waiting).toMatchObject({
			status: "AWAITING_PAYMENT",
			paymentActionUrl: expect.stringMatching(new RegExp(`^${escaped(cluster.processor.url)}/3ds/pi_`)),
		});
		const page = await fetch(waiting.paymentActionUrl!);
		expect({ status: page.status, approve: (await page.text()).includes('value="approve"') }).toEqual({ status: 200, approve: true });
		const decided = await decideOn3dsPage(waiting.paymentActionUrl!, "approve");
		// Back to the storefront's page of the order (PAYMENTS_RETURN_URL), on the gateway.
		expect(decided.status).toBe(303);
		expect(decided.headers.get("location")).toMatch(new RegExp(`^${escaped(`http://127.0.0.1:${cluster.port}/orders/${placed.id}?payment_intent=pi_`)}`));
		expect(await shop.finalOrder(placed.id)).toMatchObject({ status: "CONFIRMED" });
		expect((await processorLedger(cluster.processor, [placed.id])).map((entry) => `${entry.kind} ${entry.amountCents}`)).toEqual([
			`charge ${placed.totalCents}`,
		]);
	}, 120_000);

	it("streams every change of an order to an EventSource on the gateway that did not take the order", async () => {
		const productId = await shop.product(100, 900);
		const order = await shop.order(productId, 1, "tok_slow");
		const { stdout } = await run(
			process.execPath,
			[path.join(__dirname, "../helpers/sse-client.mjs"), `${secondGateway}/orders/${order.id}/events`, shop.customer],
			{ timeout: 90_000 },
		).catch((err: { stdout?: string }) => {
			throw new Error(
				`the EventSource client failed; it saw:\n${err.stdout ?? ""}\n${cluster.log
					.filter((line) => line.includes(order.id) || /orders|api#2/.test(line.slice(0, 12)))
					.slice(-60)
					.join("\n")}`,
			);
		});
		const lines = stdout
			.trim()
			.split("\n")
			.map((line) => JSON.parse(line) as { kind: string; id?: string; data?: { orderId: string; status: string } });
		const statuses = lines.filter((line) => line.kind === "status").map((line) => `${line.id} ${line.data!.status}`);
		expect(statuses).toEqual(["0 PENDING", "1 AWAITING_PAYMENT", "2 AWAITING_SHIPMENT", "3 CONFIRMED"]);
		expect(lines.at(-1)).toEqual({ kind: "closed", code: 204 });
	}, 120_000);
});
