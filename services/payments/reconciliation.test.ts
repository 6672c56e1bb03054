import { newPayment, type PaymentDoc } from "./payment";
import type { ProcessorIntent } from "./processor-client";
import { compareBooks } from "./reconciliation";

const NOW = new Date("2030-06-01T10:00:00.000Z");
const payment = (orderId: string, fields: Partial<PaymentDoc>): PaymentDoc => ({
	...newPayment({ orderId, customerId: "c1", totalCents: 1000, currency: "EUR", paymentMethod: "tok_visa" }, `pay-${orderId}`, NOW),
	providerRef: `pi_${orderId}`,
	...fields,
});
const intent = (orderId: string, fields: Partial<ProcessorIntent>): ProcessorIntent => ({
	id: `pi_${orderId}`,
	object: "payment_intent",
	amount: 1000,
	currency: "eur",
	status: "succeeded",
	payment_method: "tok_visa",
	metadata: { order_id: orderId },
	next_action: null,
	last_payment_error: null,
	amount_received: 1000,
	amount_refunded: 0,
	created: 1,
	version: 3,
	...fields,
});

describe("comparing the processor's books with the payments", () => {
	it.each<[string, ProcessorIntent[], PaymentDoc[], string[]]>([
		["a settled payment the processor took", [intent("a", {})], [payment("a", { status: "SETTLED" })], []],
		[
			"a refunded one, refunded at the processor too",
			[intent("a", { amount_refunded: 1000 })],
			[payment("a", { status: "REFUNDED", refundedCents: 1000 })],
			[],
		],
		[
			"a return refunded on both sides",
			[intent("a", { amount_refunded: 400 })],
			[payment("a", { status: "SETTLED", refundedCents: 400, returnRefunds: { r1: 400 }, returnRefundsDone: { r1: "re_1" } })],
			[],
		],
		["a decline on both sides", [intent("a", { status: "requires_payment_method", amount_received: 0 })], [payment("a", { status: "DECLINED" })], []],
		["money the processor took for no payment", [intent("x", {})], [], ["PROCESSOR_WITHOUT_PAYMENT x 1000/0"]],
		["a failed intent for no payment (no money)", [intent("x", { status: "canceled", amount_received: 0 })], [], []],
		[
			"a webhook not yet applied: taken, the payment still PROCESSING",
			[intent("a", {})],
			[payment("a", { status: "PROCESSING" })],
			["AMOUNTS_DIFFER a 1000/0"],
		],
		[
			"a return refunded at the processor, not yet heard of",
			[intent("a", { amount_refunded: 400 })],
			[payment("a", { status: "SETTLED", returnRefunds: { r1: 400 } })],
			["AMOUNTS_DIFFER a 600/1000"],
		],
		["a settled payment the processor has no intent for", [], [payment("a", { status: "SETTLED" })], ["PAYMENT_WITHOUT_PROCESSOR a 0/1000"]],
		[
			"another intent with the order's id",
			[intent("a", { id: "pi_other" })],
			[payment("a", { status: "DECLINED" })],
			["PROCESSOR_WITHOUT_PAYMENT a 1000/0"],
		],
	])("%s", (_name, intents, payments, expected) => {
		expect(compareBooks(intents, payments).map((d) => `${d.kind} ${d.orderId} ${d.processorCents}/${d.shopCents}`)).toEqual(expected);
	});
});
