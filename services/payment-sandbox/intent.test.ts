import {
	authenticateIntent,
	behaviourOf,
	cancelIntent,
	confirmIntent,
	dueIntentMove,
	newIntent,
	withRefunded,
	type IntentStatus,
	type PaymentIntent,
} from "./intent";
import { checkRefund, dueRefund, newRefund } from "./refund";

const NOW = Date.parse("2030-06-01T10:00:00.000Z");
const CONTEXT = { nowMs: NOW, slowMs: 5000, challengeUrl: "http://sandbox/3ds/pi_1?secret=s", returnUrl: "http://shop/orders/1" };

function intent(paymentMethod: string, status: IntentStatus = "requires_confirmation", fields: Partial<PaymentIntent> = {}): PaymentIntent {
	return { ...newIntent({ id: "pi_1", amount: 1999, currency: "eur", paymentMethod, metadata: {}, nowMs: NOW - 1000 }), status, ...fields };
}

describe("a new intent", () => {
	it("awaits confirmation at version 1 with nothing received", () => {
		expect(intent("tok_visa")).toMatchObject({
			object: "payment_intent",
			status: "requires_confirmation",
			version: 1,
			amount_received: 0,
			livemode: false,
			created: NOW / 1000 - 1,
		});
	});
});

describe("confirming, by card", () => {
	it.each([
		["tok_visa", "succeeded", "payment_intent.succeeded", { amount_received: 1999 }, null, undefined],
		[
			"tok_decline",
			"requires_payment_method",
			"payment_intent.payment_failed",
			{ last_payment_error: expect.objectContaining({ code: "card_declined" }) },
			null,
			"card_declined",
		],
		[
			"tok_unknown",
			"requires_payment_method",
			"payment_intent.payment_failed",
			{ last_payment_error: expect.objectContaining({ code: "card_declined" }) },
			null,
			"card_declined",
		],
		["tok_slow", "processing", "payment_intent.processing", { amount_received: 0 }, NOW + 5000, undefined],
		[
			"tok_3ds",
			"requires_action",
			"payment_intent.requires_action",
			{ next_action: { type: "redirect_to_url", redirect_to_url: { url: CONTEXT.challengeUrl, return_url: CONTEXT.returnUrl } } },
			null,
			undefined,
		],
		[
			"tok_insufficient_funds",
			"requires_capture",
			"payment_intent.amount_capturable_updated",
			{ amount_capturable: 1999, amount_received: 0 },
			NOW + 5000,
			undefined,
		],
	])("%s: %s (%s)", (card, status, event, fields, dueAtMs, failure) => {
		const move = confirmIntent(intent(card), CONTEXT);
		expect(move).toMatchObject({ kind: "move", event, dueAtMs, intent: { status, version: 2, ...fields } });
		expect(move.kind === "move" ? (move.failure?.code ?? null) : "refused").toBe(failure ?? null);
	});

	it.each(["requires_action", "processing", "requires_capture", "succeeded", "requires_payment_method", "canceled"] as const)(
		"is refused from %s",
		(status) => {
			expect(confirmIntent(intent("tok_visa", status), CONTEXT)).toMatchObject({ kind: "refused", message: expect.stringContaining(status) });
		},
	);

	it("treats a token named after an Object property as an unknown card", () => {
		expect(behaviourOf("constructor")).toBe("decline");
		expect(behaviourOf("__proto__")).toBe("decline");
	});
});

describe("cancelling", () => {
	it.each([
		["requires_confirmation", "move"],
		["requires_action", "move"],
		["requires_capture", "move"],
		["requires_payment_method", "move"],
		["canceled", "unchanged"],
		["processing", "refused"],
		["succeeded", "refused"],
	] as const)("from %s: %s", (status, kind) => {
		const decision = cancelIntent(intent("tok_visa", status, { amount_capturable: status === "requires_capture" ? 1999 : 0 }));
		expect(decision.kind).toBe(kind);
		if (decision.kind === "move") {
			expect(decision).toMatchObject({
				event: "payment_intent.canceled",
				dueAtMs: null,
				intent: { status: "canceled", amount_capturable: 0, next_action: null, version: 2 },
			});
		}
	});
});

describe("the 3-D Secure decision", () => {
	const waiting = confirmIntent(intent("tok_3ds"), CONTEXT);
	const awaiting = waiting.kind === "move" ? waiting.intent : intent("tok_3ds");

	it.each([
		["approve", "succeeded", "payment_intent.succeeded", null],
		["refuse", "requires_payment_method", "payment_intent.payment_failed", "authentication_failed"],
	] as const)("%s: %s", (decision, status, event, code) => {
		const move = authenticateIntent(awaiting, decision);
		expect(move).toMatchObject({ kind: "move", event, intent: { status, version: 3, next_action: null } });
		expect(move.kind === "move" && (move.intent.last_payment_error?.code ?? null)).toBe(code);
	});

	it.each(["requires_confirmation", "succeeded", "requires_payment_method", "canceled"] as const)("is refused from %s", (status) => {
		expect(authenticateIntent(intent("tok_3ds", status), "approve").kind).toBe("refused");
	});
});

describe("the clock", () => {
	it.each([
		["processing", NOW, "succeeded", "payment_intent.succeeded", null],
		["requires_capture", NOW, "requires_payment_method", "payment_intent.payment_failed", "insufficient_funds"],
		["processing", NOW - 1, null, null, null],
		["canceled", NOW, null, null, null],
		["succeeded", NOW, null, null, null],
	] as const)("moves %s at %s to %s", (status, nowMs, to, event, code) => {
		const move = dueIntentMove(intent("tok_slow", status, { amount_capturable: 1999 }), NOW, nowMs);
		if (to === null) return expect(move).toBeNull();
		expect(move).toMatchObject({ event, dueAtMs: null, intent: { status: to, amount_capturable: 0 } });
		expect(move?.intent.last_payment_error?.code ?? null).toBe(code);
	});
});

describe("refunds", () => {
	const paid = intent("tok_visa", "succeeded", { amount_received: 1999, amount_refunded: 500, version: 3 });

	it.each([
		["the rest by default", undefined, [], { ok: true, amount: 1499 }],
		["a part", 1000, [], { ok: true, amount: 1000 }],
		["all that is left", 999, [500], { ok: true, amount: 999 }],
		["more than is left", 1000, [500], { ok: false, code: "amount_too_large" }],
		["nothing when all is refunded or pending", undefined, [1499], { ok: false, code: "amount_too_large" }],
	])("%s", (_, requested, pending, expected) => {
		expect(checkRefund(paid, pending, requested)).toMatchObject(expected);
	});

	it.each(["requires_confirmation", "processing", "requires_capture", "requires_payment_method", "canceled"] as const)(
		"are refused on an intent %s",
		(status) => {
			expect(checkRefund(intent("tok_visa", status), [], 100)).toMatchObject({ ok: false, code: "payment_intent_unexpected_state" });
		},
	);

	it("succeed when due, and add to the intent's amount refunded with one version more", () => {
		const refund = newRefund({ id: "re_1", intent: paid, amount: 300, metadata: {}, nowMs: NOW });
		expect(refund).toMatchObject({ status: "pending", currency: "eur", payment_intent: "pi_1", version: 1 });
		expect(dueRefund(refund, NOW + 200, NOW + 199)).toBeNull();
		expect(dueRefund(refund, NOW + 200, NOW + 200)).toMatchObject({ status: "succeeded", version: 2 });
		expect(dueRefund({ ...refund, status: "succeeded" }, NOW, NOW)).toBeNull();
		expect(withRefunded(paid, 300)).toMatchObject({ amount_refunded: 800, version: 4 });
	});
});
