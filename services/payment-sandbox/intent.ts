/*
 * The payment intent's life, as pure functions of the intent, the card and the clock: which
 * status a confirmation, a cancel, a 3-D Secure decision or the passing of time leads to, and
 * the one event each change publishes. No storage and no I/O here, so every rule is one table
 * test away (intent.test.ts); books.ts stores what these decide.
 */

export const INTENT_STATUSES = [
	"requires_confirmation",
	"requires_action",
	"processing",
	"requires_capture",
	"succeeded",
	"requires_payment_method",
	"canceled",
] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

export const INTENT_EVENT_TYPES = [
	"payment_intent.requires_action",
	"payment_intent.processing",
	"payment_intent.amount_capturable_updated",
	"payment_intent.succeeded",
	"payment_intent.payment_failed",
	"payment_intent.canceled",
] as const;
export type IntentEventType = (typeof INTENT_EVENT_TYPES)[number];

export type PaymentErrorCode = "card_declined" | "insufficient_funds" | "authentication_failed";
export interface PaymentError {
	code: PaymentErrorCode;
	message: string;
}

export interface RedirectAction {
	type: "redirect_to_url";
	redirect_to_url: { url: string; return_url: string | null };
}

/** Stripe's PaymentIntent, as the API shows it; `version` is the sandbox's own, to order events by. */
export interface PaymentIntent {
	id: string;
	object: "payment_intent";
	amount: number;
	currency: string;
	status: IntentStatus;
	payment_method: string;
	metadata: Record<string, string>;
	next_action: RedirectAction | null;
	last_payment_error: PaymentError | null;
	amount_capturable: number;
	amount_received: number;
	amount_refunded: number;
	created: number;
	version: number;
	livemode: false;
}

/** How a test card behaves when confirmed. */
export type CardBehaviour = "approve" | "decline" | "slow" | "three_d_secure" | "insufficient_funds";

/** The test cards; any other token is declined, as a real processor declines a card it does not know. */
export const TEST_CARDS: ReadonlyMap<string, CardBehaviour> = new Map([
	["tok_visa", "approve"],
	["tok_decline", "decline"],
	["tok_slow", "slow"],
	["tok_3ds", "three_d_secure"],
	["tok_insufficient_funds", "insufficient_funds"],
]);

export function behaviourOf(paymentMethod: string): CardBehaviour {
	return TEST_CARDS.get(paymentMethod) ?? "decline";
}

const MESSAGES: Record<PaymentErrorCode, string> = {
	card_declined: "Your card was declined.",
	insufficient_funds: "Your card has insufficient funds.",
	authentication_failed: "The customer did not pass 3-D Secure authentication.",
};

function paymentError(code: PaymentErrorCode): PaymentError {
	return { code, message: MESSAGES[code] };
}

/**
 * A change of the intent: its new state, when the clock moves it next (null: only a caller does),
 * the event it publishes, and the payment error when the change is a failure the caller answers 402.
 */
export interface IntentMove {
	kind: "move";
	intent: PaymentIntent;
	dueAtMs: number | null;
	event: IntentEventType;
	failure?: PaymentError;
}
/** Nothing to change: asked for what already holds (cancelling a cancelled intent). */
export interface IntentUnchanged {
	kind: "unchanged";
}
/** Not allowed from the intent's status (400 payment_intent_unexpected_state). */
export interface IntentRefused {
	kind: "refused";
	message: string;
}

export function newIntent(fields: {
	id: string;
	amount: number;
	currency: string;
	paymentMethod: string;
	metadata: Record<string, string>;
	nowMs: number;
}): PaymentIntent {
	return {
		id: fields.id,
		object: "payment_intent",
		amount: fields.amount,
		currency: fields.currency,
		status: "requires_confirmation",
		payment_method: fields.paymentMethod,
		metadata: fields.metadata,
		next_action: null,
		last_payment_error: null,
		amount_capturable: 0,
		amount_received: 0,
		amount_refunded: 0,
		created: Math.floor(fields.nowMs / 1000),
		version: 1,
		livemode: false,
	};
}

/** The intent after one change: every change counts one version up, so events can be put in order. */
function changed(intent: PaymentIntent, fields: Partial<PaymentIntent>): PaymentIntent {
	return { ...intent, ...fields, version: intent.version + 1 };
}

function move(intent: PaymentIntent, fields: Partial<PaymentIntent>, event: IntentEventType, dueAtMs: number | null = null): IntentMove {
	const next = changed(intent, fields);
	return {
		kind: "move",
		intent: next,
		dueAtMs,
		event,
		...(next.status === "requires_payment_method" && next.last_payment_error ? { failure: next.last_payment_error } : {}),
	};
}

function unexpected(intent: PaymentIntent, action: string): IntentRefused {
	return { kind: "refused", message: `You cannot ${action} this PaymentIntent because it has a status of ${intent.status}.` };
}

function succeed(intent: PaymentIntent): IntentMove {
	return move(
		intent,
		{ status: "succeeded", amount_received: intent.amount, amount_capturable: 0, next_action: null, last_payment_error: null },
		"payment_intent.succeeded",
	);
}

function fail(intent: PaymentIntent, code: PaymentErrorCode): IntentMove {
	return move(
		intent,
		{ status: "requires_payment_method", amount_capturable: 0, next_action: null, last_payment_error: paymentError(code) },
		"payment_intent.payment_failed",
	);
}

export interface ConfirmContext {
	nowMs: number;
	slowMs: number;
	/** The 3-D Secure page of this intent, with its secret. */
	challengeUrl: string;
	returnUrl: string | null;
}

/** Confirming: what the card does decides the status (see TEST_CARDS). */
export function confirmIntent(intent: PaymentIntent, context: ConfirmContext): IntentMove | IntentRefused {
	if (intent.status !== "requires_confirmation") return unexpected(intent, "confirm");
	switch (behaviourOf(intent.payment_method)) {
		case "approve":
			return succeed(intent);
		case "decline":
			return fail(intent, "card_declined");
		case "slow":
			return move(intent, { status: "processing" }, "payment_intent.processing", context.nowMs + context.slowMs);
		case "three_d_secure":
			return move(
				intent,
				{
					status: "requires_action",
					next_action: { type: "redirect_to_url", redirect_to_url: { url: context.challengeUrl, return_url: context.returnUrl } },
				},
				"payment_intent.requires_action",
			);
		case "insufficient_funds":
			// Authorised first, like a card whose hold is taken and whose capture later bounces.
			return move(
				intent,
				{ status: "requires_capture", amount_capturable: intent.amount },
				"payment_intent.amount_capturable_updated",
				context.nowMs + context.slowMs,
			);
	}
}

const CANCELLABLE: ReadonlySet<IntentStatus> = new Set(["requires_confirmation", "requires_action", "requires_capture", "requires_payment_method"]);

export function cancelIntent(intent: PaymentIntent): IntentMove | IntentUnchanged | IntentRefused {
	if (intent.status === "canceled") return { kind: "unchanged" };
	if (!CANCELLABLE.has(intent.status)) return unexpected(intent, "cancel");
	return move(intent, { status: "canceled", amount_capturable: 0, next_action: null }, "payment_intent.canceled");
}

export type AuthenticationDecision = "approve" | "refuse";

/** The customer's answer on the 3-D Secure page. */
export function authenticateIntent(intent: PaymentIntent, decision: AuthenticationDecision): IntentMove | IntentRefused {
	if (intent.status !== "requires_action") return unexpected(intent, "authenticate");
	return decision === "approve" ? succeed(intent) : fail(intent, "authentication_failed");
}

/** What the clock does to an intent due at `dueAtMs`: a slow card's payment goes through, an authorised one's capture fails. */
export function dueIntentMove(intent: PaymentIntent, dueAtMs: number, nowMs: number): IntentMove | null {
	if (nowMs < dueAtMs) return null;
	if (intent.status === "processing") return succeed(intent);
	if (intent.status === "requires_capture") return fail(intent, "insufficient_funds");
	return null;
}

/** The intent once a refund of `amount` has gone through. */
export function withRefunded(intent: PaymentIntent, amount: number): PaymentIntent {
	return changed(intent, { amount_refunded: intent.amount_refunded + amount });
}
