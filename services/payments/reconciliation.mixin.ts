import type { Context, ServiceSchema } from "moleculer";
import type { ReconciliationReport, ShopMeta } from "../../contracts";
import type { ShopConfig } from "../../lib/env";
import { shopMetrics } from "../../lib/metrics";
import { runInWork, workFromCarrier } from "../../lib/trace-context";
import type { PaymentDoc } from "./payment";
import type { PaymentsService } from "./payment-moves.mixin";
import { readAll } from "./processor-client";
import { compareBooks } from "./reconciliation";

/*
 * What keeps a lost webhook from stranding an order, and a dead node's half-done call from
 * stranding a payment: a sweep that asks the processor about every payment it has said nothing
 * of for PAYMENTS_RECONCILE_AFTER_MS and applies the answer as a webhook would be; and, for an
 * operator, the processor's books against the shop's (payments.reconcile, REPL `reconcile`).
 */

/** Intents one report reads at most (newest first); older ones are left out, and the report says so. */
export const RECONCILE_MAX_INTENTS = 5000;
const PAGE = 100;
/** Payments one sweep looks at, per kind; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

export interface Reconciliation {
	recoverStalledPayments(): Promise<void>;
	reconcileSilentPayments(): Promise<void>;
	reconcileOne(doc: PaymentDoc): Promise<void>;
}

type Svc = PaymentsService & Reconciliation;

export function ReconciliationMixin(config: ShopConfig): Partial<ServiceSchema> {
	const schema = {
		actions: {
			/** For an operator: the processor's books against the shop's payments, discrepancy by discrepancy. */
			reconcile: {
				auth: "admin",
				params: { $$strict: true },
				async handler(this: Svc, _ctx: Context<Record<string, never>, ShopMeta>): Promise<ReconciliationReport> {
					const { items: intents, truncated } = await readAll(
						(after) => this.processor.listIntents({ limit: PAGE, starting_after: after }),
						RECONCILE_MAX_INTENTS,
					);
					// The payments of those intents' orders, and every payment holding money since the oldest intent read.
					const orderIds = [...new Set(intents.map((intent) => intent.metadata?.order_id).filter((id): id is string => typeof id === "string"))];
					const since = truncated ? new Date(Math.min(...intents.map((intent) => intent.created)) * 1000).toISOString() : "";
					const [ofIntents, holding] = await Promise.all([
						orderIds.length ? this.collections.payments.find({ query: { _id: { $in: orderIds } } }) : Promise.resolve([]),
						this.collections.payments.find({
							query: { status: { $in: ["SETTLED", "REFUNDING"] }, createdAt: { $gte: since } },
							limit: RECONCILE_MAX_INTENTS,
						}),
					]);
					const payments = [...new Map([...ofIntents, ...holding].map((doc) => [doc._id, doc])).values()];
					const discrepancies = compareBooks(intents, payments);
					if (discrepancies.length)
						this.logger.warn(`Reconciliation: ${discrepancies.length} discrepancies between the processor's books and the payments`);
					return { checkedAt: new Date().toISOString(), intents: intents.length, payments: payments.length, truncated, discrepancies };
				},
			},
		},

		methods: {
			/**
			 * A node killed between claiming a payment and recording the processor's answer leaves it
			 * CHARGING or REFUNDING; its event may already be marked done elsewhere, so nothing else
			 * would finish it. Asking the processor again with the same key is safe: it answers with
			 * what it did the first time, or does it now, once.
			 */
			async recoverStalledPayments(this: Svc): Promise<void> {
				const staleBefore = Date.now() - config.events.claimTimeoutMs;
				const stalled = await this.collections.payments.find({
					query: { status: { $in: ["CHARGING", "REFUNDING"] }, busySinceMs: { $lte: staleBefore } },
					limit: SWEEP_BATCH,
				});
				for (const doc of stalled) {
					await runInWork(workFromCarrier(doc.trace, doc._id), async () => {
						this.logger.warn(`[order ${doc._id}] payment stalled in ${doc.status}; finishing it`);
						await (doc.status === "CHARGING" ? this.chargeOrder(doc._id) : this.refundOrder(doc._id));
					});
				}
			},

			/** Every payment waiting on the processor that has heard nothing for too long: asked about, and the answer applied. */
			async reconcileSilentPayments(this: Svc): Promise<void> {
				const silentSince = Date.now() - config.payments.reconcileAfterMs;
				const [waiting, refunding] = await Promise.all([
					this.collections.payments.find({
						query: { status: { $in: ["PROCESSING", "ACTION_REQUIRED", "REFUNDING"] }, heardAtMs: { $lte: silentSince } },
						limit: SWEEP_BATCH,
					}),
					this.collections.payments.find({ query: { refundsPending: { $gt: 0 }, heardAtMs: { $lte: silentSince } }, limit: SWEEP_BATCH }),
				]);
				for (const doc of [...waiting, ...refunding]) {
					await runInWork(workFromCarrier(doc.trace, doc._id), () => this.reconcileOne(doc));
				}
			},

			async reconcileOne(this: Svc, doc: PaymentDoc): Promise<void> {
				let applied = false;
				if (doc.status === "REFUNDING" && doc.refundId) {
					applied = await this.applyRefund(doc._id, await this.processor.getRefund(doc.refundId), "reconciliation", doc);
				} else if ((doc.status === "PROCESSING" || doc.status === "ACTION_REQUIRED") && doc.providerRef) {
					applied = await this.applyIntent(doc._id, await this.processor.getIntent(doc.providerRef), "reconciliation", doc);
				}
				if ((doc.refundsPending ?? 0) > 0 && doc.providerRef) {
					const intentId = doc.providerRef;
					const { items: refunds } = await readAll((after) =>
						this.processor.listRefunds({ payment_intent: intentId, limit: PAGE, starting_after: after }),
					);
					for (const refund of refunds) applied = (await this.applyRefund(doc._id, refund, "reconciliation")) || applied;
				}
				if (applied) {
					shopMetrics(this.broker).paymentReconciled();
					this.logger.warn(`[order ${doc._id}] reconciled: the processor had said nothing for ${Date.now() - (doc.heardAtMs ?? 0)} ms`);
					return;
				}
				// Nothing new: asked again after another quiet period, not on every sweep.
				await this.collections.payments.update({ _id: doc._id, heardAtMs: doc.heardAtMs }, { $set: { heardAtMs: Date.now() } });
			},
		},
	};
	return schema as unknown as Partial<ServiceSchema>;
}
