import type { ReconciliationDiscrepancy } from "../../contracts";
import type { PaymentDoc } from "./payment";
import type { ProcessorIntent } from "./processor-client";

/*
 * The books compared: what the processor holds for each order (money taken, less refunds) against
 * what the shop's payment says it holds. Money the processor moved that the shop has no payment
 * for, a payment the shop holds money for that the processor does not, and amounts that differ
 * are each one discrepancy for an operator. A payment still waiting for the processor's word is
 * compared too: a lost webhook shows here until the reconciliation sweep has applied it.
 */

/** What the processor holds for an intent: taken and not given back. */
export function processorNetCents(intent: ProcessorIntent): number {
	return intent.status === "succeeded" ? intent.amount_received - intent.amount_refunded : 0;
}

/** What the shop's payment says it holds: settled, less the refunds the processor confirmed. */
export function shopNetCents(doc: PaymentDoc): number {
	if (doc.status !== "SETTLED" && doc.status !== "REFUNDING") return 0;
	const returned = Object.keys(doc.returnRefundsDone ?? {}).reduce((sum, returnId) => sum + (doc.returnRefunds?.[returnId] ?? 0), 0);
	return doc.amountCents - returned;
}

export function compareBooks(intents: ProcessorIntent[], payments: PaymentDoc[]): ReconciliationDiscrepancy[] {
	const byOrder = new Map(payments.map((doc) => [doc._id, doc]));
	const seen = new Set<string>();
	const found: ReconciliationDiscrepancy[] = [];
	for (const intent of intents) {
		const orderId = intent.metadata?.order_id;
		const processorCents = processorNetCents(intent);
		const doc = orderId ? byOrder.get(orderId) : undefined;
		// Only the intent the payment made speaks for it; another intent with its order id is money without an order.
		if (!doc || (doc.providerRef && doc.providerRef !== intent.id)) {
			if (processorCents > 0)
				found.push({
					kind: "PROCESSOR_WITHOUT_PAYMENT",
					orderId,
					intentId: intent.id,
					processorCents,
					shopCents: 0,
					currency: intent.currency.toUpperCase(),
				});
			continue;
		}
		seen.add(doc._id);
		const shopCents = shopNetCents(doc);
		if (processorCents !== shopCents) {
			found.push({
				kind: "AMOUNTS_DIFFER",
				orderId: doc._id,
				intentId: intent.id,
				processorCents,
				shopCents,
				currency: doc.currency,
				paymentStatus: doc.status,
			});
		}
	}
	for (const doc of payments) {
		if (seen.has(doc._id)) continue;
		const shopCents = shopNetCents(doc);
		if (shopCents > 0)
			found.push({
				kind: "PAYMENT_WITHOUT_PROCESSOR",
				orderId: doc._id,
				intentId: doc.providerRef,
				processorCents: 0,
				shopCents,
				currency: doc.currency,
				paymentStatus: doc.status,
			});
	}
	return found;
}
