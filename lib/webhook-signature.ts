import { createHmac, timingSafeEqual } from "node:crypto";

/*
 * Webhook signatures in Stripe's scheme: `Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`,
 * the HMAC keyed by the endpoint's secret over `<t>.<raw body>`. The processor sandbox signs
 * with it, the gateway verifies with it. Over the raw bytes: a body parsed and serialised again
 * need not be the body that was signed.
 */

/** How old a signature's timestamp may be (either way, for clocks apart) before it is refused as a replay. */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

function hmac(secret: string, timestamp: number, body: Buffer | string): Buffer {
	return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
}

/** The `Signature` header's value for this body at this time (seconds since the epoch). */
export function signatureHeader(secret: string, body: Buffer | string, timestamp = Math.floor(Date.now() / 1000)): string {
	return `t=${timestamp},v1=${hmac(secret, timestamp, body).toString("hex")}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; why: "MISSING" | "MALFORMED" | "STALE" | "MISMATCH" };

/**
 * Whether `header` signs `body` with `secret`, within the tolerance of `nowSeconds`. Several v1
 * values (a secret being rolled) pass if any matches; each is compared in constant time.
 */
export function verifySignature(
	secret: string,
	body: Buffer,
	header: string | undefined,
	nowSeconds = Math.floor(Date.now() / 1000),
	toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
	if (header === undefined || header === "") return { ok: false, why: "MISSING" };
	if (header.length > 1024) return { ok: false, why: "MALFORMED" };
	let timestamp: number | undefined;
	const signatures: Buffer[] = [];
	for (const part of header.split(",")) {
		const match = /^\s*(t|v1)=([0-9a-f]+)\s*$/i.exec(part);
		if (!match) continue; // other schemes (v0, …) are not ours to read
		if (match[1] === "t") {
			if (timestamp !== undefined || !/^\d{1,12}$/.test(match[2])) return { ok: false, why: "MALFORMED" };
			timestamp = Number(match[2]);
		} else if (/^[0-9a-f]{64}$/i.test(match[2])) signatures.push(Buffer.from(match[2], "hex"));
	}
	if (timestamp === undefined || signatures.length === 0) return { ok: false, why: "MALFORMED" };
	if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, why: "STALE" };
	const expected = hmac(secret, timestamp, body);
	let matched = false;
	// Every candidate is compared, so the time taken does not say which one failed.
	for (const signature of signatures) matched = timingSafeEqual(expected, signature) || matched;
	return matched ? { ok: true, timestamp } : { ok: false, why: "MISMATCH" };
}
