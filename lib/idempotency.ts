import { createHash } from "node:crypto";
import type { IdempotencyClaim, ShopMeta } from "../contracts";

/*
 * Idempotency keys (Stripe's model): a client names a request that must take effect once with an
 * `Idempotency-Key` header, and sends it again as often as it likes. The gateway checks the key's
 * form; the service that acts on it keeps the key with a fingerprint of the request, so the same
 * key with another request is told apart from a retry.
 */

/**
 * What a key may be: 1 to 255 printable ASCII characters, not starting or ending with a space
 * (HTTP drops those from a header's value, so a key could not arrive as it was sent).
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** JSON with every object's keys sorted, so that the same request in another key order is the same. */
function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	if (value && typeof value === "object") {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
	}
	return JSON.stringify(value) ?? "null";
}

/** A request's fingerprint: the route it was sent to and its body, whatever the order of its keys. */
export function requestFingerprint(route: string, body: unknown): string {
	return createHash("sha256").update(canonicalJson({ route, body })).digest("hex");
}

/**
 * The claim a request makes: the one a service set for a request of its own (the cart's checkout),
 * or else the client's key with this request's fingerprint; none without a key.
 */
export function claimOf(meta: ShopMeta, route: string, params: unknown): IdempotencyClaim | undefined {
	if (meta.idempotency) return meta.idempotency;
	return meta.idempotencyKey ? { key: meta.idempotencyKey, fingerprint: requestFingerprint(route, params) } : undefined;
}
