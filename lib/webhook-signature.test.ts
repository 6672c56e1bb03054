import { signatureHeader, verifySignature } from "./webhook-signature";

describe("a webhook's signature", () => {
	const secret = "whsec_test_secret";
	const body = Buffer.from('{"id":"evt_1","type":"payment_intent.succeeded"}');
	const now = 1_800_000_000;
	const good = signatureHeader(secret, body, now);

	it.each([
		["a good signature, just made", body, good, now, { ok: true, timestamp: now }],
		["a good signature, 4 minutes old", body, good, now + 240, { ok: true, timestamp: now }],
		["a good signature among others (a secret being rolled)", body, `${good},v1=${"0".repeat(64)}`, now, { ok: true, timestamp: now }],
		["a good signature beside a scheme we do not read", body, `${good},v0=abc`, now, { ok: true, timestamp: now }],
		["no header", body, undefined, now, { ok: false, why: "MISSING" }],
		["an empty header", body, "", now, { ok: false, why: "MISSING" }],
		["no timestamp", body, good.replace(/^t=\d+,/, ""), now, { ok: false, why: "MALFORMED" }],
		["no v1", body, `t=${now}`, now, { ok: false, why: "MALFORMED" }],
		["a v1 that is not 32 bytes of hex", body, `t=${now},v1=abcd`, now, { ok: false, why: "MALFORMED" }],
		["two timestamps", body, `t=${now},${good}`, now, { ok: false, why: "MALFORMED" }],
		["garbage", body, "not a signature at all", now, { ok: false, why: "MALFORMED" }],
		["a header of 2 kB", body, `${good},${"x".repeat(2048)}`, now, { ok: false, why: "MALFORMED" }],
		["a signature older than 5 minutes (a replay)", body, good, now + 301, { ok: false, why: "STALE" }],
		["a timestamp 6 minutes in the future", body, good, now - 360, { ok: false, why: "STALE" }],
		["a body changed by one byte", Buffer.from(body.toString().replace("evt_1", "evt_2")), good, now, { ok: false, why: "MISMATCH" }],
		["a timestamp changed (signature kept)", body, good.replace(`t=${now}`, `t=${now + 1}`), now, { ok: false, why: "MISMATCH" }],
		["the wrong secret", body, signatureHeader("whsec_another", body, now), now, { ok: false, why: "MISMATCH" }],
	])("%s", (_name, payload, header, at, expected) => {
		expect(verifySignature(secret, payload, header, at)).toEqual(expected);
	});

	it("is made over the raw bytes: the same JSON with other spacing does not pass", () => {
		const respaced = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
		expect(verifySignature(secret, respaced, good, now)).toEqual({ ok: false, why: "MISMATCH" });
	});
});
