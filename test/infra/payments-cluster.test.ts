import type { Order, Payment, ReconciliationReport } from "../../contracts";
import { stopNode } from "../../scripts/cluster-lib";
import { decideOn3dsPage, deliverWebhooks, processorLedger } from "../helpers/processor";
import { waitFor } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { Shopper } from "./shopper";

/*
 * Payments through the card processor sandbox, a process of its own, on real servers: every
 * card, every way its webhooks misbehave, the processor down for 30 s and a settlement after
 * the saga gave up, each ending with the order, the payment and the processor's books agreeing.
 */

describe("payments through the card processor, across a cluster", () => {
	let cluster: TestCluster;
	let shop: Shopper;
	let productId: string;
	/** Every order this file placed: their money is checked against the processor's books at the end. */
	const placed: Order[] = [];

	const order = async (paymentMethod: string): Promise<Order> => {
		const made = await shop.order(productId, 1, paymentMethod);
		placed.push(made);
		return made;
	};
	const paymentOf = async (orderId: string) => (await shop.api.get(`/payments?orderId=${orderId}`, shop.customer)).body.rows?.[0] as Payment | undefined;
	const settledLines = (orderId: string) => cluster.log.filter((line) => line.includes(`[order ${orderId}] payment`) && line.includes("-> SETTLED")).length;

	beforeAll(async () => {
		cluster = new TestCluster({
			PAYMENT_SLOW_MS: "500",
			PAYMENTS_RECONCILE_AFTER_MS: "3000",
			PAYMENT_RECOVERY_SWEEP_MS: "500",
			EVENT_CLAIM_TIMEOUT_MS: "3000",
			SAGA_STEP_TIMEOUT_MS: "120000",
		});
		await cluster.startAll({ payments: 2 });
		shop = await Shopper.signIn(cluster.baseUrl);
		productId = await shop.product(1000, 1500);
	});
	afterEach(() => deliverWebhooks(cluster.processor, "normal"));
	afterAll(async () => {
		await cluster?.stopAll();
	});

	it("takes every card as the processor answers it: approved, declined, slow, 3-D Secure approved and refused, insufficient funds", async () => {
		const [visa, decline, slow, insufficient, approve, refuse] = await Promise.all(
			["tok_visa", "tok_decline", "tok_slow", "tok_insufficient_funds", "tok_3ds", "tok_3ds"].map((card) => order(card)),
		);
		for (const [o, decision] of [
			[approve!, "approve"],
			[refuse!, "refuse"],
		] as const) {
			const waiting = await waitFor(
				() => shop.get(o.id),
				(current) => Boolean(current.paymentActionUrl),
				60_000,
				250,
			);
			const answer = await decideOn3dsPage(waiting.paymentActionUrl!, decision);
			expect(answer.status).toBe(303);
		}
		const finals = await Promise.all([visa, decline, slow, insufficient, approve, refuse].map((o) => shop.finalOrder(o!.id)));
		expect(finals.map((o) => o.status)).toEqual(["CONFIRMED", "CANCELLED", "CONFIRMED", "CANCELLED", "CONFIRMED", "CANCELLED"]);
		const reasons = await Promise.all([decline, insufficient, refuse].map(async (o) => (await paymentOf(o!.id))!.history.at(-1)!.reason));
		expect(reasons).toEqual(["PROCESSOR_DECLINED", "PROCESSOR_INSUFFICIENT_FUNDS", "PROCESSOR_AUTHENTICATION_FAILED"]);
	});

	it("settles by reconciliation what no webhook told of", async () => {
		await deliverWebhooks(cluster.processor, "never");
		const orders = await Promise.all([order("tok_visa"), order("tok_visa"), order("tok_slow")]);
		for (const o of orders) {
			expect((await shop.finalOrder(o.id)).status).toBe("CONFIRMED");
			expect((await paymentOf(o.id))!.history.map((change) => change.reason)).toContain("RECONCILED_SUCCEEDED");
		}
	});

	it("applies a webhook delivered twice once, to whichever payments replica it comes", async () => {
		await deliverWebhooks(cluster.processor, "twice");
		const orders = await Promise.all([order("tok_visa"), order("tok_slow"), order("tok_slow")]);
		for (const o of orders) expect((await shop.finalOrder(o.id)).status).toBe("CONFIRMED");
		await new Promise((resolve) => setTimeout(resolve, 1000));
		for (const o of orders) {
			expect((await paymentOf(o.id))!.history.filter((change) => change.status === "SETTLED")).toHaveLength(1);
			expect(settledLines(o.id)).toBe(1);
		}
	});

	it("orders webhooks delivered newest first by the intent's version: the older one changes nothing", async () => {
		await deliverWebhooks(cluster.processor, "reorder", 1500);
		const [slow, insufficient] = await Promise.all([order("tok_slow"), order("tok_insufficient_funds")]);
		expect((await shop.finalOrder(slow.id)).status).toBe("CONFIRMED");
		expect((await shop.finalOrder(insufficient.id)).status).toBe("CANCELLED");
		await new Promise((resolve) => setTimeout(resolve, 2000));
		expect((await paymentOf(slow.id))!.status).toBe("SETTLED");
		expect((await paymentOf(insufficient.id))!.status).toBe("DECLINED");
	});

	it("keeps orders waiting while the processor is down for 30 s, then completes them, each charged once", async () => {
		await stopNode(cluster.sandbox!);
		const orders = await Promise.all([order("tok_visa"), order("tok_visa"), order("tok_slow"), order("tok_decline")]);
		await new Promise((resolve) => setTimeout(resolve, 30_000));
		for (const o of orders) expect((await shop.get(o.id)).status).toBe("AWAITING_PAYMENT");
		cluster.startSandbox();
		const finals = await Promise.all(orders.map((o) => shop.finalOrder(o.id, 120_000)));
		expect(finals.map((o) => o.status)).toEqual(["CONFIRMED", "CONFIRMED", "CONFIRMED", "CANCELLED"]);
		const books = await processorLedger(
			cluster.processor,
			orders.map((o) => o.id),
		);
		expect(
			books
				.filter((entry) => entry.kind === "charge")
				.map((entry) => entry.orderId)
				.sort(),
		).toEqual(
			orders
				.slice(0, 3)
				.map((o) => o.id)
				.sort(),
		);
	}, 240_000);

	it("refunds a settlement that comes after the saga cancelled the order for its timeout", async () => {
		// An orders node whose sagas give their payment 3 s, and a payments node that would not ask the processor before the late webhook comes.
		for (const node of [...cluster.running("orders"), ...cluster.running("payments")]) await cluster.stop(node);
		cluster.start("orders", 2, { SAGA_STEP_TIMEOUT_MS: "3000" });
		cluster.start("payments", 3, { PAYMENTS_RECONCILE_AFTER_MS: "60000" });
		await cluster.waitHealthy();
		await deliverWebhooks(cluster.processor, "late", 8000);
		const late = await order("tok_visa");
		expect(await shop.finalOrder(late.id)).toMatchObject({ status: "CANCELLED", cancelReason: "TIMEOUT" });
		const payment = await waitFor(
			() => paymentOf(late.id),
			(p) => p?.status === "REFUNDED",
			60_000,
			250,
		);
		expect(payment!.history.map((change) => change.status)).toEqual(["PENDING", "CHARGING", "PROCESSING", "SETTLED", "REFUNDING", "REFUNDED"]);
	}, 120_000);

	it("ends with the money agreeing: each order's net at the processor is what its payment holds, and the reconciliation finds nothing", async () => {
		const ids = new Set(placed.map((o) => o.id));
		const books = await processorLedger(cluster.processor, ids);
		for (const o of placed) {
			const payment = (await waitFor(
				() => paymentOf(o.id),
				(p) => p !== undefined && !["CHARGING", "PROCESSING", "REFUNDING"].includes(p.status),
			))!;
			const net = books.filter((entry) => entry.orderId === o.id).reduce((sum, e) => sum + (e.kind === "charge" ? e.amountCents : -e.amountCents), 0);
			const held = payment.status === "SETTLED" ? payment.amountCents - payment.refundedCents : 0;
			expect({ order: o.id, payment: payment.status, net }).toEqual({ order: o.id, payment: payment.status, net: held });
		}
		const report = (await shop.api.get("/admin/payments/reconciliation", shop.admin)).body as ReconciliationReport;
		// The sandbox's books are shared by the suite's clusters; the other files' orders are theirs to check.
		expect(report.discrepancies.filter((d) => d.orderId !== undefined && ids.has(d.orderId))).toEqual([]);
	});
});
