import { TestCluster } from "./cluster";
import { processorBooks } from "./servers";
import { Shopper } from "./shopper";
import { waitFor } from "../helpers/wait";

describe("a payments replica killed with SIGKILL during a burst of orders", () => {
	const env = TestCluster.infraEnv();
	let cluster: TestCluster;
	let shop: Shopper;

	beforeAll(async () => {
		cluster = new TestCluster({
			SAGA_STEP_TIMEOUT_MS: "20000",
			// A dead node's claims and half-done charges are taken over after 4 s, its partitions after 6 s.
			EVENT_CLAIM_TIMEOUT_MS: "4000",
			PAYMENT_RECOVERY_SWEEP_MS: "500",
			KAFKA_SESSION_TIMEOUT_MS: "6000",
			// Slow cards keep charges in flight, so the kill lands in the middle of some.
			PAYMENT_SLOW_MS: "1500",
		});
		await cluster.startAll({ payments: 2 });
		shop = await Shopper.signIn(cluster.baseUrl);
	});
	afterAll(async () => {
		await cluster?.stopAll();
	});

	it("leaves no order pending after the saga timeout and charges no order twice", async () => {
		const productId = await shop.product(1000, 1250);
		const [victim, survivor] = cluster.running("payments");
		const burst = shop.orders(productId, 60, (i) => (i % 3 === 0 ? "tok_slow" : undefined));
		// Killed once it is charging, with more orders still arriving.
		await waitFor(
			async () => cluster.log.some((line) => line.startsWith(`[${victim!.label}]`) && line.includes("-> CHARGING")),
			(charging) => charging,
			60_000,
			20,
		);
		await cluster.kill(victim!);
		const killedAt = Date.now();
		const placed = await burst;

		const finals = await Promise.all(placed.map((order) => shop.finalOrder(order.id, 120_000)));
		const settledMs = Date.now() - killedAt;
		expect(finals.filter((order) => order.status !== "CONFIRMED" && order.status !== "CANCELLED")).toEqual([]);

		// The processor's books against what the shop says: every confirmed order paid once and
		// kept; every cancelled one not charged, or charged and refunded in full.
		const ids = new Set(placed.map((order) => order.id));
		const books = (await waitFor(
			() => processorBooks(env.MONGO_URI!),
			(records) => finals.filter((order) => order.status === "CANCELLED").every((order) => {
				const charged = records.some((r) => r.kind === "charge" && r.key === order.id);
				return !charged || records.some((r) => r.kind === "refund" && r.key === order.id);
			}),
			60_000,
			500,
		)).filter((record) => ids.has(record.key));
		const entries = (kind: "charge" | "refund", orderId: string) => books.filter((record) => record.kind === kind && record.key === orderId);
		for (const order of finals) {
			const charges = entries("charge", order.id);
			const refunds = entries("refund", order.id);
			expect(charges.length).toBeLessThanOrEqual(1);
			if (order.status === "CONFIRMED") {
				expect({ order: order.id, charges: charges.map((c) => c.amountCents), refunds: refunds.length }).toEqual({ order: order.id, charges: [order.totalCents], refunds: 0 });
			} else {
				expect({ order: order.id, refunded: refunds.map((r) => r.amountCents) }).toEqual({ order: order.id, refunded: charges.map((c) => c.amountCents) });
			}
		}
		const confirmed = finals.filter((order) => order.status === "CONFIRMED").length;
		const cancelled = finals.filter((order) => order.status === "CANCELLED");
		expect(survivor!.child.exitCode).toBeNull();
		console.log(
			`payments replica killed: ${placed.length} orders, ${confirmed} confirmed, ${cancelled.length} cancelled ` +
				`(${[...new Set(cancelled.map((order) => order.cancelReason))].map((reason) => `${cancelled.filter((order) => order.cancelReason === reason).length} ${reason}`).join(", ") || "none"}), ` +
				`${books.filter((r) => r.kind === "charge").length} charges and ${books.filter((r) => r.kind === "refund").length} refunds in the books, ` +
				`all final ${settledMs} ms after the kill`,
		);
	});
});
