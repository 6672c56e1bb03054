import { createHash } from "node:crypto";
import type { IdempotencyClaim } from "../../contracts";
import { UnprocessableError } from "../../lib/errors";
import type { StoredDoc } from "../../mixins/store.mixin";

/*
 * An idempotency key is stored per customer with the fingerprint of the request it came with and
 * the id of the order that request places, chosen when the key is first claimed. Every request
 * with the key then places that one order id: the order's insert is the arbiter (a second insert
 * of the id finds the first), so a retry while the first request is still running, or after the
 * node that took it died, ends in the same single order on any replica.
 */

export interface IdempotencyKeyDoc extends StoredDoc {
	customerId: string;
	fingerprint: string;
	orderId: string;
	createdAt: string;
	expiresAtMs: number;
}

/**
 * The key's document id: per customer, so one customer's key never finds another's order, and
 * hashed, so a key's characters never reach the store as an id.
 */
export function keyDocId(customerId: string, key: string): string {
	return createHash("sha256").update(`${customerId}\n${key}`).digest("hex");
}

export type KeyDecision =
	/** No live key: store this one (a stale one is replaced, on the condition it is still the same). */
	| { kind: "claim"; doc: IdempotencyKeyDoc; replacing?: IdempotencyKeyDoc }
	/** The key was sent before with this request: place (or find) its order. */
	| { kind: "use"; orderId: string }
	/** The key was sent before with another request. */
	| { kind: "reused" };

/** What a request with `claim` does, given the key's stored document (`found`), at `now`. */
export function decideKey(
	found: IdempotencyKeyDoc | null,
	request: { customerId: string; claim: IdempotencyClaim; newOrderId: string },
	now: Date,
	ttlMs: number,
): KeyDecision {
	if (found && found.expiresAtMs > now.getTime()) {
		return found.fingerprint === request.claim.fingerprint ? { kind: "use", orderId: found.orderId } : { kind: "reused" };
	}
	const doc: IdempotencyKeyDoc = {
		_id: keyDocId(request.customerId, request.claim.key),
		customerId: request.customerId,
		fingerprint: request.claim.fingerprint,
		orderId: request.newOrderId,
		createdAt: now.toISOString(),
		expiresAtMs: now.getTime() + ttlMs,
	};
	return found ? { kind: "claim", doc, replacing: found } : { kind: "claim", doc };
}

/** The refusal of a key sent again with another request: the client must not reuse it. */
export function keyReused(): UnprocessableError {
	return new UnprocessableError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was sent before with another request; use a new key for a new request");
}
