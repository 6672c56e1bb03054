import { randomBytes } from "node:crypto";
import { ApiError, noSuch, sameSecret, SandboxStoppingError } from "./http-io";
import {
	authenticateIntent,
	cancelIntent,
	confirmIntent,
	dueIntentMove,
	newIntent,
	withRefunded,
	type AuthenticationDecision,
	type IntentMove,
	type PaymentError,
	type PaymentIntent,
} from "./intent";
import { eventView, pageOf, type EventView, type ListAnswer, type SandboxEvent } from "./lists";
import type { ListParams } from "./params";
import { checkRefund, dueRefund, newRefund, type Refund } from "./refund";
import { newId, type EventRow, type IntentRow, type SandboxStore } from "./store";
import type { WebhookDispatcher } from "./webhooks";

/*
 * The processor's books: intents and refunds as intent.ts and refund.ts decide, each change
 * stored with the one event it publishes and that event's deliveries scheduled. Changes run one
 * at a time (a queue in this process: the sandbox is one process), so two requests, or a request
 * and the clock, never decide on the same state.
 */

export interface BooksClock {
	slowMs: number;
	refundMs: number;
}

export interface NewIntentParams {
	amount: number;
	currency: string;
	paymentMethod: string;
	metadata: Record<string, string>;
	returnUrl: string | null;
	confirm: boolean;
}

/** An intent after a confirmation, with the payment error when the card said no (answered 402). */
export interface Confirmed {
	intent: PaymentIntent;
	failure?: PaymentError;
}

/** Due changes made per tick at most; the next tick takes the rest. */
const DUE_BATCH = 100;

function intentOf(row: IntentRow): PaymentIntent {
	return JSON.parse(row.json) as PaymentIntent;
}

export class SandboxBooks {
	private queue: Promise<unknown> = Promise.resolve();
	private closed = false;

	constructor(
		private readonly store: SandboxStore,
		private readonly webhooks: WebhookDispatcher,
		private readonly clock: BooksClock,
		private readonly publicUrl: string,
	) {}

	/** Refuses changes from now on and waits for those under way, so nothing is written once the store closes. */
	async close(): Promise<void> {
		this.closed = true;
		await this.queue;
	}

	createIntent(params: NewIntentParams): Promise<Confirmed> {
		return this.serially(async () => {
			const now = Date.now();
			const intent = newIntent({
				id: newId("pi_"),
				amount: params.amount,
				currency: params.currency,
				paymentMethod: params.paymentMethod,
				metadata: params.metadata,
				nowMs: now,
			});
			const row: IntentRow = {
				_id: intent.id,
				seq: this.store.nextSeq(),
				status: intent.status,
				dueAtMs: null,
				secret: randomBytes(16).toString("hex"),
				returnUrl: params.returnUrl,
				json: JSON.stringify(intent),
			};
			await this.store.intents.insert(row);
			return params.confirm ? this.confirmRow(row, null) : { intent };
		});
	}

	confirm(id: string, returnUrl: string | null): Promise<Confirmed> {
		return this.serially(async () => this.confirmRow(await this.intentRow(id), returnUrl));
	}

	cancel(id: string): Promise<PaymentIntent> {
		return this.serially(async () => {
			const row = await this.intentRow(id);
			const decision = cancelIntent(intentOf(row));
			if (decision.kind === "unchanged") return intentOf(row);
			if (decision.kind === "refused") throw this.unexpectedState(row, decision.message);
			return this.write(row, decision);
		});
	}

	/** The intent whose 3-D Secure page this is, with where the customer goes back to; null for a wrong id or secret. */
	async challenge(id: string, secret: string): Promise<{ intent: PaymentIntent; returnUrl: string | null } | null> {
		const row = await this.store.intents.get(id);
		if (!row || !sameSecret(secret, row.secret)) return null;
		return { intent: intentOf(row), returnUrl: row.returnUrl };
	}

	/** The customer's decision on the 3-D Secure page; null when the intent no longer awaits one. */
	authenticate(id: string, decision: AuthenticationDecision): Promise<PaymentIntent | null> {
		return this.serially(async () => {
			const row = await this.intentRow(id);
			const move = authenticateIntent(intentOf(row), decision);
			return move.kind === "move" ? this.write(row, move) : null;
		});
	}

	async intent(id: string): Promise<PaymentIntent> {
		return intentOf(await this.intentRow(id));
	}

	listIntents(params: ListParams): Promise<ListAnswer<PaymentIntent>> {
		return pageOf(this.store.intents, params.filters.status ? { status: params.filters.status } : {}, params, "payment_intent", intentOf);
	}

	createRefund(params: { paymentIntent: string; amount?: number; metadata: Record<string, string> }): Promise<Refund> {
		return this.serially(async () => {
			const intentRow = await this.store.intents.get(params.paymentIntent);
			if (!intentRow) throw noSuch("payment_intent", params.paymentIntent, "payment_intent");
			const intent = intentOf(intentRow);
			const pending = await this.store.refunds.find({ paymentIntent: intent.id, status: "pending" }, { seq: 1 }, Number.MAX_SAFE_INTEGER);
			const check = checkRefund(
				intent,
				pending.map((row) => (JSON.parse(row.json) as Refund).amount),
				params.amount,
			);
			if (!check.ok) {
				const details = check.code === "payment_intent_unexpected_state" ? { payment_intent: intent } : {};
				throw new ApiError(400, "invalid_request_error", check.message, {
					code: check.code,
					param: check.code === "amount_too_large" ? "amount" : "payment_intent",
					...details,
				});
			}
			const now = Date.now();
			const refund = newRefund({ id: newId("re_"), intent, amount: check.amount, metadata: params.metadata, nowMs: now });
			const row = {
				_id: refund.id,
				seq: this.store.nextSeq(),
				paymentIntent: intent.id,
				status: refund.status,
				dueAtMs: now + this.clock.refundMs,
				json: JSON.stringify(refund),
			};
			await this.store.refunds.insert(row);
			await this.publish("refund.created", refund, now);
			return refund;
		});
	}

	async refund(id: string): Promise<Refund> {
		const row = await this.store.refunds.get(id);
		if (!row) throw noSuch("refund", id);
		return JSON.parse(row.json) as Refund;
	}

	listRefunds(params: ListParams): Promise<ListAnswer<Refund>> {
		const filter = params.filters.payment_intent ? { paymentIntent: params.filters.payment_intent } : {};
		return pageOf(this.store.refunds, filter, params, "refund", (row) => JSON.parse(row.json) as Refund);
	}

	async event(id: string): Promise<EventView> {
		return eventView(await this.eventRow(id));
	}

	listEvents(params: ListParams): Promise<ListAnswer<EventView>> {
		return pageOf(this.store.events, params.filters.type ? { type: params.filters.type } : {}, params, "event", eventView);
	}

	async redeliver(id: string): Promise<void> {
		await this.webhooks.redeliver(await this.eventRow(id), Date.now());
	}

	/** What the clock has made due: slow cards decided, authorised captures failed, pending refunds through. */
	applyDue(nowMs: number): Promise<void> {
		return this.serially(async () => {
			for (const row of await this.store.intents.find({ dueAtMs: { $lte: nowMs } }, { dueAtMs: 1 }, DUE_BATCH)) {
				const move = dueIntentMove(intentOf(row), row.dueAtMs!, nowMs);
				if (move) await this.write(row, move);
				else await this.store.intents.update(row._id, { dueAtMs: null });
			}
			for (const row of await this.store.refunds.find({ dueAtMs: { $lte: nowMs } }, { dueAtMs: 1 }, DUE_BATCH)) {
				const refund = dueRefund(JSON.parse(row.json) as Refund, row.dueAtMs!, nowMs);
				if (refund) {
					// The money leaves the intent first, so that a reader who sees the refund succeeded sees it gone;
					// the intent's version moves, though no event of its own says so.
					const intentRow = await this.store.intents.get(refund.payment_intent);
					if (intentRow) await this.store.intents.update(intentRow._id, { json: JSON.stringify(withRefunded(intentOf(intentRow), refund.amount)) });
				}
				await this.store.refunds.put({ ...row, dueAtMs: null, ...(refund ? { status: refund.status, json: JSON.stringify(refund) } : {}) });
				if (refund) await this.publish("refund.updated", refund, nowMs);
			}
		});
	}

	/** Runs `work` after every change queued before it. */
	private serially<T>(work: () => Promise<T>): Promise<T> {
		const run = this.queue.then(() => {
			if (this.closed) throw new SandboxStoppingError();
			return work();
		});
		this.queue = run.catch(() => undefined);
		return run;
	}

	private async confirmRow(row: IntentRow, returnUrl: string | null): Promise<Confirmed> {
		const effectiveReturnUrl = returnUrl ?? row.returnUrl;
		const move = confirmIntent(intentOf(row), {
			nowMs: Date.now(),
			slowMs: this.clock.slowMs,
			challengeUrl: `${this.publicUrl}/3ds/${row._id}?secret=${row.secret}`,
			returnUrl: effectiveReturnUrl,
		});
		if (move.kind === "refused") throw this.unexpectedState(row, move.message);
		const intent = await this.write({ ...row, returnUrl: effectiveReturnUrl }, move);
		return move.failure ? { intent, failure: move.failure } : { intent };
	}

	/** Stores a decided move of the intent and its event. */
	private async write(row: IntentRow, move: IntentMove): Promise<PaymentIntent> {
		await this.store.intents.put({ ...row, status: move.intent.status, dueAtMs: move.dueAtMs, json: JSON.stringify(move.intent) });
		await this.publish(move.event, move.intent, Date.now());
		return move.intent;
	}

	private async publish(type: string, object: PaymentIntent | Refund, nowMs: number): Promise<void> {
		const event: SandboxEvent = { id: newId("evt_"), object: "event", type, created: Math.floor(nowMs / 1000), data: { object } };
		const row: EventRow = { _id: event.id, seq: this.store.nextSeq(), type, json: JSON.stringify(event), delivered: false, attempts: 0 };
		await this.store.events.insert(row);
		await this.webhooks.scheduleNew(row, nowMs);
	}

	private unexpectedState(row: IntentRow, message: string): ApiError {
		return new ApiError(400, "invalid_request_error", message, { code: "payment_intent_unexpected_state", payment_intent: intentOf(row) });
	}

	private async intentRow(id: string): Promise<IntentRow> {
		const row = await this.store.intents.get(id);
		if (!row) throw noSuch("payment_intent", id);
		return row;
	}

	private async eventRow(id: string): Promise<EventRow> {
		const row = await this.store.events.get(id);
		if (!row) throw noSuch("event", id);
		return row;
	}
}
