import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Order, Payment } from "../../contracts";
import { startPaymentSandbox, type PaymentSandbox } from "../../services/payment-sandbox/sandbox";
import { signatureHeader } from "../../lib/webhook-signature";
import { freePort } from "../helpers/net";
import { decideOn3dsPage, deliverWebhooks, processorLedger } from "../helpers/processor";
import { ALL_SERVICES, startShopWithUsers, TEST_ADDRESS, type ShopWithUsers } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * The gateway's webhook endpoint as the processor (or an attacker) calls it, and the failures
 * that outlast a step of the saga: the processor down for 30 s, a settlement that comes after the
 * saga gave up, a 3-D Secure confirmation that never comes.
 */

const WEBHOOK_SECRET = "whsec_development_only";

async function ordersOf(s: ShopWithUsers) {
	const orderOf = async (id: string) => (await s.api.get(`/orders/${id}`, s.customer)).body as Order;
	const paymentOf = async (orderId: string) => (await s.api.get(`/payments?orderId=${orderId}`, s.customer)).body.rows?.[0] as Payment;
	const place = async (paymentMethod: string): Promise<Order> => {
		const res = await s.api.post("/orders", { items: [{ productId: s.productId, qty: 1 }], shippingAddress: TEST_ADDRESS, paymentMethod }, s.customer);
		expect(res.status).toBe(201);
		return res.body;
	};
	return { orderOf, paymentOf, place };
}

describe("POST /api/webhooks/payments", () => {
	let s: ShopWithUsers;
	let shop: Awaited<ReturnType<typeof ordersOf>>;
	beforeAll(async () => {
		s = await startShopWithUsers("webhooks@example.com", { env: { OUTBOX_RELAY_MS: "100", PAYMENT_SLOW_MS: "300" } });
		shop = await ordersOf(s);
	});
	afterAll(() => s.shop.destroy());

	const post = (body: string, headers: Record<string, string>) =>
		fetch(`${s.shop.baseUrl}/webhooks/payments`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
	const succeeded = (orderId: string, version: number) =>
		JSON.stringify({
			id: `evt_forged${version}`,
			object: "event",
			type: "payment_intent.succeeded",
			created: Math.floor(Date.now() / 1000),
			data: {
				object: {
					id: "pi_forged",
					object: "payment_intent",
					status: "succeeded",
					version,
					amount: 1,
					amount_received: 1,
					currency: "eur",
					metadata: { order_id: orderId },
				},
			},
		});

	it("refuses what the processor did not sign (400) and changes nothing", async () => {
		await deliverWebhooks(s.shop.processor, "never");
		const order = await shop.place("tok_visa");
		const processing = await waitFor(
			() => shop.paymentOf(order.id),
			(payment) => payment?.status === "PROCESSING",
		);
		const body = succeeded(order.id, 99);
		const now = Math.floor(Date.now() / 1000);
		const refusals: Record<string, string>[] = [
			{},
			{ signature: "t=1,v1=nonsense" },
			{ signature: signatureHeader("whsec_someone_else", body) },
			{ signature: signatureHeader(WEBHOOK_SECRET, body, now - 600) },
			{ signature: signatureHeader(WEBHOOK_SECRET, body.replace("succeeded", "succeedeD")) },
		];
		for (const headers of refusals) {
			const res = await post(body, headers);
			expect(res.status).toBe(400);
			expect(((await res.json()) as { error: { type: string } }).error.type).toBe("WEBHOOK_SIGNATURE_INVALID");
		}
		expect(await shop.paymentOf(order.id)).toEqual(processing);
		await deliverWebhooks(s.shop.processor, "normal");
	});

	it("is only at its path: another under /api/webhooks is 404, not a signature check", async () => {
		expect(
			(await fetch(`${s.shop.baseUrl}/webhooks/refunds`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status,
		).toBe(404);
	});

	it("answers 413 to a body over 64 kB, before reading it as an event", async () => {
		const body = JSON.stringify({ padding: "x".repeat(70 * 1024) });
		const res = await post(body, { signature: signatureHeader(WEBHOOK_SECRET, body) });
		expect(res.status).toBe(413);
		expect(((await res.json()) as { error: { type: string } }).error.type).toBe("PAYLOAD_TOO_LARGE");
	});

	it("answers 200 and changes nothing for an event about no payment, and refuses a signed event of the wrong shape (422)", async () => {
		const unknown = succeeded("no-such-order", 2);
		const res = await post(unknown, { signature: signatureHeader(WEBHOOK_SECRET, unknown) });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ applied: false, ignored: "UNKNOWN_PAYMENT" });
		const malformed = JSON.stringify({ id: "evt_1", type: "payment_intent.succeeded", data: {} });
		const refused = await post(malformed, { signature: signatureHeader(WEBHOOK_SECRET, malformed) });
		expect(refused.status).toBe(422);
	});

	it("answers 200 and changes nothing for an event seen before, and for one older than what the payment knows", async () => {
		const order = await shop.place("tok_slow");
		const settled = await waitFor(
			() => shop.paymentOf(order.id),
			(payment) => payment?.status === "SETTLED",
		);
		const events = (await (
			await fetch(`${s.shop.processor.url}/v1/events?limit=100`, { headers: { authorization: `Bearer ${s.shop.processor.secretKey}` } })
		).json()) as {
			data: { id: string; type: string; data: { object: { metadata: Record<string, string> } } }[];
		};
		const ofOrder = events.data.filter((event) => event.data.object.metadata.order_id === order.id);
		expect(ofOrder.map((event) => event.type).sort()).toEqual(["payment_intent.processing", "payment_intent.succeeded"]);
		for (const event of ofOrder) {
			const { delivered: _d, delivery_attempts: _a, ...original } = event as typeof event & { delivered: boolean; delivery_attempts: number };
			const body = JSON.stringify(original);
			const res = await post(body, { signature: signatureHeader(WEBHOOK_SECRET, body) });
			expect(res.status).toBe(200);
			expect(await res.json()).toEqual({ applied: false });
		}
		expect(await shop.paymentOf(order.id)).toEqual(settled);
	});
});

describe("a processor down for 30 s", () => {
	let s: ShopWithUsers;
	let sandbox: PaymentSandbox;
	const sandboxDir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-down-"));
	let sandboxPort: number;
	const startSandbox = () =>
		startPaymentSandbox({
			port: sandboxPort,
			webhookUrl: `${s.shop.baseUrl}/webhooks/payments`,
			secretKey: s.shop.processor.secretKey,
			webhookSecret: WEBHOOK_SECRET,
			dataDir: sandboxDir,
			slowMs: 100,
			refundMs: 50,
			webhookRetryMs: 200,
			webhookMode: "normal",
			webhookDelayMs: 0,
		});

	beforeAll(async () => {
		sandboxPort = await freePort();
		s = await startShopWithUsers("outage@example.com", {
			// The sandbox is started and stopped by the test itself, on its own port and books.
			services: ALL_SERVICES.filter((name) => name !== "payment-sandbox"),
			env: { PAYMENT_SANDBOX_PORT: String(sandboxPort), OUTBOX_RELAY_MS: "100", EVENT_CLAIM_TIMEOUT_MS: "2000", PAYMENT_RECOVERY_SWEEP_MS: "500" },
		});
		sandbox = await startSandbox();
	});
	afterAll(async () => {
		await sandbox.stop();
		await s.shop.destroy();
		fs.rmSync(sandboxDir, { recursive: true, force: true });
	});

	it("keeps its orders waiting, then completes them once it is back, each charged once", async () => {
		const shop = await ordersOf(s);
		await sandbox.stop();
		const orders = [await shop.place("tok_visa"), await shop.place("tok_visa"), await shop.place("tok_slow")];
		const downSince = Date.now();
		await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() - downSince)));
		for (const order of orders) {
			expect(await shop.orderOf(order.id)).toMatchObject({ status: "AWAITING_PAYMENT" });
			expect((await shop.paymentOf(order.id)).status).toBe("CHARGING");
		}
		sandbox = await startSandbox();
		for (const order of orders) {
			expect(
				(
					await waitFor(
						() => shop.orderOf(order.id),
						(o) => o.status === "CONFIRMED",
						30_000,
					)
				).status,
			).toBe("CONFIRMED");
			expect(await processorLedger(s.shop.processor, order.id)).toEqual([expect.objectContaining({ kind: "charge", amountCents: order.totalCents })]);
		}
	}, 90_000);
});

describe("a saga that gives up on its payment", () => {
	let s: ShopWithUsers;
	beforeAll(async () => {
		s = await startShopWithUsers("late@example.com", {
			env: { OUTBOX_RELAY_MS: "100", SAGA_STEP_TIMEOUT_MS: "1500", SAGA_SWEEP_MS: "100", PAYMENT_SANDBOX_WEBHOOK_DELAY_MS: "4000" },
		});
	});
	afterAll(() => s.shop.destroy());

	it("refunds a settlement that comes after the order was cancelled for the timeout", async () => {
		const shop = await ordersOf(s);
		await deliverWebhooks(s.shop.processor, "late");
		const order = await shop.place("tok_visa");
		expect(
			await waitFor(
				() => shop.orderOf(order.id),
				(o) => o.status === "CANCELLED",
			),
		).toMatchObject({ cancelReason: "TIMEOUT" });
		const payment = await waitFor(
			() => shop.paymentOf(order.id),
			(p) => p?.status === "REFUNDED",
			20_000,
		);
		expect(payment.history.map((change) => change.status)).toEqual(["PENDING", "CHARGING", "PROCESSING", "SETTLED", "REFUNDING", "REFUNDED"]);
		expect(await processorLedger(s.shop.processor, order.id)).toEqual([
			expect.objectContaining({ kind: "charge", amountCents: order.totalCents }),
			expect.objectContaining({ kind: "refund", amountCents: order.totalCents }),
		]);
		await deliverWebhooks(s.shop.processor, "normal");
	}, 30_000);

	it("cancels at the processor a 3-D Secure payment never confirmed: voided, and the bank's page no longer takes it", async () => {
		const shop = await ordersOf(s);
		const order = await shop.place("tok_3ds");
		const waiting = await waitFor(
			() => shop.orderOf(order.id),
			(o) => Boolean(o.paymentActionUrl),
		);
		expect(
			await waitFor(
				() => shop.orderOf(order.id),
				(o) => o.status === "CANCELLED",
			),
		).toMatchObject({ cancelReason: "TIMEOUT" });
		expect(
			(
				await waitFor(
					() => shop.paymentOf(order.id),
					(p) => p?.status === "VOIDED",
				)
			).status,
		).toBe("VOIDED");
		const late = await decideOn3dsPage(waiting.paymentActionUrl!, "approve");
		expect(late.status).toBe(409);
		expect(await processorLedger(s.shop.processor, order.id)).toEqual([]);
	});
});
