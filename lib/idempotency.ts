import { createHash } from "node:crypto";

/*
 * Idempotency keys (Stripe's model): a client sends the same Idempotency-Key with a retry, and
 * the shop answers the first request's result instead of doing the work twice. A key reused with
 * another request is refused, so what identifies "the same request" must be computed alike by
 * every service that honours keys: this fingerprint.
 */

/** What a service hands orders.create in ctx.meta.idempotency when the request came with a key. */
export interface IdempotencyClaim {
	key: string;
	fingerprint: string;
}

/** JSON with object keys sorted, so two bodies that differ only in key order are one request. */
function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	if (value !== null && typeof value === "object") {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, child]) => child !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(",")}}`;
	}
	return JSON.stringify(value) ?? "null";
}

/**
 * The fingerprint of a request to `route` (e.g. "cart.checkout", "orders.create") with `body`, its
 * validated params: a hex sha256. The route is part of it, so one key cannot be replayed on
 * another route with a body that happens to match.
 */
export function requestFingerprint(route: string, body: unknown): string {
	return createHash("sha256").update(canonicalJson({ route, body })).digest("hex");
}
