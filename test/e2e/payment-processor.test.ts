import type { ServiceSchema } from "moleculer";
import type { AnyDomainEvent, Order, Payment, ReconciliationReport } from "../../contracts";
import { reconcileCommand } from "../../lib/repl-commands";
import { freePort } from "../helpers/net";
import { sample, scrape } from "../helpers/observability";
import { decideOn3dsPage, deliverWebhooks, processorIntents, processorLedger } from "../helpers/processor";
import { startShopWithUsers, TEST_ADDRESS, type ShopWithUsers } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * Payments through the card processor sandbox, on the embedded shop: every card the sandbox
 * knows, and every way its webhooks misbehave (lost, twice, out of order), each ending with the
 * order, the payment and the processor's books agreeing.
 */

function spy(seen: AnyDomainEvent[]): ServiceSchema {
	const record = (ctx: { params: AnyDomainEvent }) => void seen.push(ctx.params);
	return { name: "payments-spy", events: { "payment.*": record, "order.*": record } } as unknown as ServiceSchema;
}

const FINAL = new Set(["CONFIRMED", "CANCELLED"]);

describe("payments through the card processor", () => {
	let s: ShopWithUsers;
	let metricsPort: number;
	const seen: AnyDomainEvent[] = [];

	const place = async (paymentMethod: string, postalCode = TEST_ADDRESS.postalCode): Promise<Order> => {
		const shippingAddress = { ...TEST_ADDRESS, postalCode };
		const res = await s.api.post("/orders", { items: [{ productId: s.productId, qty: 1 }], shippingAddress, paymentMethod }, s.customer);
		expect(res.status).toBe(201);
		return res.body;
	};
	const orderOf = async (id: string) => (await s.api.get(`/orders/${id}`, s.customer)).body as Order;
	const paymentOf = async (orderId: string) => (await s.api.get(`/payments?orderId=${orderId}`, s.customer)).body.rows?.[0] as Payment;
	const finalOrder = (id: string) =>
		waitFor(
			() => orderOf(id),
			(order) => FINAL.has(order.status),
		);
	const eventsOf = (orderId: string, type: string) => seen.filter((event) => event.type === type && (event as { orderId?: string }).orderId === orderId);
	const reasons = (payment: Payment) => payment.history.map((change) => `${change.status} ${change.reason}`);

	beforeAll(async () => {
		metricsPort = await freePort();
		s = await startShopWithUsers("cards@example.com", {
			env: {
				METRICS_PORT: String(metricsPort),
				OUTBOX_RELAY_MS: "100",
				EVENT_RETRY_BASE_MS: "20",
				PAYMENT_SLOW_MS: "300",
				PAYMENT_SANDBOX_WEBHOOK_DELAY_MS: "300",
				PAYMENTS_RECONCILE_AFTER_MS: "1500",
				PAYMENT_RECOVERY_SWEEP_MS: "200",
				CARRIER_SLOW_MS: "3000",
			},
			extra: [spy(seen)],
		});
	});
	afterEach(() => deliverWebhooks(s.shop.processor, "normal"));
	afterAll(() => s.shop.destroy());

	describe("each card", () => {
		it("tok_visa: the processor's answer is recorded, its signed webhook settles it, and the order is confirmed", async () => {
			const order = await place("tok_visa");
			expect((await finalOrder(order.id)).status).toBe("CONFIRMED");
			const payment = await paymentOf(order.id);
			expect(payment).toMatchObject({ status: "SETTLED", amountCents: order.totalCents, providerRef: expect.stringMatching(/^pi_/) });
			expect(reasons(payment)).toEqual([
				"PENDING ORDER_CREATED",
				"CHARGING CHARGE_STARTED",
				"PROCESSING PROCESSOR_ANSWERED_SUCCEEDED",
				"SETTLED PROCESSOR_SUCCEEDED",
			]);
			expect(await processorLedger(s.shop.processor, order.id)).toEqual([expect.objectContaining({ kind: "charge", amountCents: order.totalCents })]);
		});

		it("tok_decline: declined by webhook, the order cancelled, no money moved", async () => {
			const order = await place("tok_decline");
			expect(await finalOrder(order.id)).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
			expect(await paymentOf(order.id)).toMatchObject({ status: "DECLINED" });
			expect(eventsOf(order.id, "payment.failed")).toEqual([expect.objectContaining({ reason: "DECLINED" })]);
			expect(await processorLedger(s.shop.processor, order.id)).toEqual([]);
		});

		it("tok_slow: waits PROCESSING in AWAITING_PAYMENT until the outcome's webhook, then confirms", async () => {
			const order = await place("tok_slow");
			const processing = await waitFor(
				() => paymentOf(order.id),
				(payment) => payment?.status === "PROCESSING",
			);
			expect(processing.status).toBe("PROCESSING");
			expect((await orderOf(order.id)).status).toBe("AWAITING_PAYMENT");
			expect((await finalOrder(order.id)).status).toBe("CONFIRMED");
			expect(reasons(await paymentOf(order.id))).toContain("SETTLED PROCESSOR_SUCCEEDED");
		});

		it("tok_insufficient_funds: authorised, then its capture fails: declined for insufficient funds, the order cancelled", async () => {
			const order = await place("tok_insufficient_funds");
			expect(await finalOrder(order.id)).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
			expect(reasons(await paymentOf(order.id))).toContain("DECLINED PROCESSOR_INSUFFICIENT_FUNDS");
			expect(eventsOf(order.id, "payment.failed")).toEqual([expect.objectContaining({ reason: "INSUFFICIENT_FUNDS" })]);
			expect(await processorLedger(s.shop.processor, order.id)).toEqual([]);
		});

		async function confirm3ds(order: Order, decision: "approve" | "refuse"): Promise<Response> {
			const waiting = await waitFor(
				() => orderOf(order.id),
				(o) => Boolean(o.paymentActionUrl),
			);
			expect(waiting).toMatchObject({ status: "AWAITING_PAYMENT", paymentActionUrl: expect.stringMatching(/\/3ds\/pi_\w+\?secret=/) });
			expect(waiting.history.at(-1)).toMatchObject({ status: "AWAITING_PAYMENT", reason: "PAYMENT_ACTION_REQUIRED" });
			expect(await paymentOf(order.id)).toMatchObject({ status: "ACTION_REQUIRED", actionUrl: waiting.paymentActionUrl });
			const page = await fetch(waiting.paymentActionUrl!);
			expect(page.status).toBe(200);
			expect(await page.text()).toContain("Confirm your payment");
			return decideOn3dsPage(waiting.paymentActionUrl!, decision);
		}

		it("tok_3ds approved: the order asks the customer to confirm, the bank's page sends them back to it, and it is confirmed", async () => {
			const order = await place("tok_3ds");
			const answer = await confirm3ds(order, "approve");
			expect(answer.status).toBe(303);
			expect(answer.headers.get("location")).toMatch(new RegExp(`/orders/${order.id}\\?payment_intent=pi_\\w+$`));
			const final = await finalOrder(order.id);
			expect(final.status).toBe("CONFIRMED");
			expect(final.paymentActionUrl).toBeUndefined();
			expect(eventsOf(order.id, "payment.actionRequired")).toHaveLength(1);
		});

		it("tok_3ds refused: declined as the authentication failed, the order cancelled", async () => {
			const order = await place("tok_3ds");
			expect((await confirm3ds(order, "refuse")).status).toBe(303);
			expect(await finalOrder(order.id)).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
			expect(eventsOf(order.id, "payment.failed")).toEqual([expect.objectContaining({ reason: "AUTHENTICATION_FAILED" })]);
			expect(await processorLedger(s.shop.processor, order.id)).toEqual([]);
		});
	});

	describe("webhooks that misbehave", () => {
		it("lost: the reconciliation asks the processor about a payment it heard nothing of, and settles it", async () => {
			await deliverWebhooks(s.shop.processor, "never");
			const order = await place("tok_visa");
			expect((await finalOrder(order.id)).status).toBe("CONFIRMED");
			expect(reasons(await paymentOf(order.id))).toEqual(expect.arrayContaining(["SETTLED RECONCILED_SUCCEEDED"]));
			expect(eventsOf(order.id, "payment.settled")).toHaveLength(1);
			// What an operator sees: webhooks applied until now, and a payment the reconciliation had to move.
			const samples = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
			expect(sample(samples, "shop_payments_reconciled_total")).toBeGreaterThanOrEqual(1);
			expect(sample(samples, "shop_payments_webhooks_total", { outcome: "applied" })).toBeGreaterThanOrEqual(6);
			expect(sample(samples, "shop_payments_processor_circuit_open")).toBe(0);
		});

		it("delivered twice: applied once (one SETTLED, one payment.settled)", async () => {
			await deliverWebhooks(s.shop.processor, "twice");
			const order = await place("tok_slow");
			expect((await finalOrder(order.id)).status).toBe("CONFIRMED");
			// Both copies of the last webhook have come by now: the processor retries nothing it was answered 2xx for.
			await waitFor(
				async () => (await processorIntents(s.shop.processor, order.id))[0]?.status,
				(status) => status === "succeeded",
			);
			await new Promise((resolve) => setTimeout(resolve, 300));
			const payment = await paymentOf(order.id);
			expect(payment.history.filter((change) => change.status === "SETTLED")).toHaveLength(1);
			expect(eventsOf(order.id, "payment.settled")).toHaveLength(1);
		});

		it("out of order, success before processing: settled, and the older processing webhook changes nothing", async () => {
			await deliverWebhooks(s.shop.processor, "reorder", 1000);
			const order = await place("tok_slow");
			expect((await finalOrder(order.id)).status).toBe("CONFIRMED");
			const payment = await paymentOf(order.id);
			expect(payment.status).toBe("SETTLED");
			expect(payment.history.at(-1)).toMatchObject({ status: "SETTLED" });
		});

		it("out of order, the failed capture before the authorisation: declined, and the older authorisation changes nothing", async () => {
			await deliverWebhooks(s.shop.processor, "reorder", 1000);
			const order = await place("tok_insufficient_funds");
			expect((await finalOrder(order.id)).status).toBe("CANCELLED");
			await new Promise((resolve) => setTimeout(resolve, 1200));
			const payment = await paymentOf(order.id);
			expect(payment.status).toBe("DECLINED");
			expect(payment.history.at(-1)).toMatchObject({ status: "DECLINED" });
		});
	});

	describe("the books", () => {
		it("refunds a cancelled, paid order through the processor, its outcome by webhook", async () => {
			// The carrier sandbox is slow for this postal code: there is time to cancel before the label.
			const order = await place("tok_visa", "99999");
			await waitFor(
				() => orderOf(order.id),
				(o) => o.status === "AWAITING_SHIPMENT",
			);
			expect((await s.api.post(`/orders/${order.id}/cancel`, undefined, s.customer)).status).toBe(200);
			const refunded = await waitFor(
				() => paymentOf(order.id),
				(payment) => payment?.status === "REFUNDED",
			);
			expect(reasons(refunded)).toEqual(expect.arrayContaining(["REFUNDING REFUND_STARTED", "REFUNDED PROCESSOR_REFUNDED"]));
			expect(await processorLedger(s.shop.processor, order.id)).toEqual([
				expect.objectContaining({ kind: "charge", amountCents: order.totalCents }),
				expect.objectContaining({ kind: "refund", amountCents: order.totalCents }),
			]);
		});

		it("agree: every order's money at the processor is what its payment says, and the reconciliation finds nothing", async () => {
			await waitFor(
				async () => (await s.api.get("/admin/orders?status=AWAITING_PAYMENT", s.admin)).body.total,
				(open) => open === 0,
			);
			const report = await waitFor(
				async () => (await s.api.get("/admin/payments/reconciliation", s.admin)).body as ReconciliationReport,
				(body) => body.discrepancies?.length === 0,
				10_000,
			);
			expect(report).toMatchObject({ truncated: false, discrepancies: [] });
			expect(report.intents).toBeGreaterThanOrEqual(10);
			const ledger = await processorLedger(s.shop.processor);
			const payments = (await s.api.get("/payments?pageSize=100", s.admin)).body.rows as Payment[];
			for (const payment of payments) {
				const moved = ledger
					.filter((entry) => entry.orderId === payment.orderId)
					.reduce((sum, e) => sum + (e.kind === "charge" ? e.amountCents : -e.amountCents), 0);
				const held = payment.status === "SETTLED" ? payment.amountCents - payment.refundedCents : 0;
				expect({ order: payment.orderId, moved }).toEqual({ order: payment.orderId, moved: held });
			}
			expect(await reconcileCommand(s.shop.broker)).toMatch(/^The books agree: \d+ processor intents and \d+ payments compared\.$/);
		});

		it("reports money the processor moved that the shop has no payment for", async () => {
			const res = await fetch(`${s.shop.processor.url}/v1/payment_intents`, {
				method: "POST",
				headers: { authorization: `Bearer ${s.shop.processor.secretKey}`, "content-type": "application/json", "idempotency-key": "stray-charge-1" },
				body: JSON.stringify({ amount: 4200, currency: "eur", payment_method: "tok_visa", confirm: true, metadata: { order_id: "no-such-order" } }),
			});
			expect(res.status).toBe(200);
			const report = (await s.api.get("/admin/payments/reconciliation", s.admin)).body as ReconciliationReport;
			expect(report.discrepancies).toEqual([
				{
					kind: "PROCESSOR_WITHOUT_PAYMENT",
					orderId: "no-such-order",
					intentId: expect.stringMatching(/^pi_/),
					processorCents: 4200,
					shopCents: 0,
					currency: "EUR",
				},
			]);
			expect(await reconcileCommand(s.shop.broker)).toMatch(
				/^1 discrepancies[\s\S]*PROCESSOR_WITHOUT_PAYMENT\s+no-such-order\s+pi_\w+\s+4200 EUR\s+0 EUR/,
			);
		});
	});
});
