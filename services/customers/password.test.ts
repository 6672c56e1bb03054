import { scryptSync } from "node:crypto";
import { decoyHash, hashPassword, verifyPassword } from "./password";

/*
 * Each full-cost hash or verification takes a few hundred milliseconds, so the expensive ones
 * are computed once and shared: 2 hashes + 2 verifications + 1 decoy hash in this file.
 */

const PASSWORD = "correct horse battery staple";

describe("hashPassword", () => {
	let first: string;
	let second: string;

	beforeAll(async () => {
		[first, second] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
	});

	it('stores the scheme and parameters as "scrypt$17$8$1$" followed by salt and hash', () => {
		expect(first.startsWith("scrypt$17$8$1$")).toBe(true);
		const parts = first.split("$");
		expect(parts).toHaveLength(6);
		expect(Buffer.from(parts[4], "base64")).toHaveLength(16);
		expect(Buffer.from(parts[5], "base64")).toHaveLength(64);
	});

	it("salts each hash, so the same password hashes differently twice", () => {
		expect(second).not.toBe(first);
		expect(second.split("$")[4]).not.toBe(first.split("$")[4]);
		expect(second.split("$")[5]).not.toBe(first.split("$")[5]);
	});

	it("does not contain the password", () => {
		expect(first).not.toContain(PASSWORD);
	});

	describe("verifyPassword", () => {
		it("accepts the password that was hashed", async () => {
			await expect(verifyPassword(PASSWORD, first)).resolves.toBe(true);
		});

		it("refuses a wrong password", async () => {
			await expect(verifyPassword("correct horse battery stapler", first)).resolves.toBe(false);
		});
	});
});

describe("verifyPassword", () => {
	/** A stored hash with cheap parameters, built independently of hashPassword (pass NFKC-normal text). */
	function cheapHash(password: string, log2N = 4): string {
		const salt = Buffer.from("0123456789abcdef");
		const key = scryptSync(password, salt, 64, { N: 2 ** log2N, r: 8, p: 1 });
		return ["scrypt", log2N, 8, 1, salt.toString("base64"), key.toString("base64")].join("$");
	}

	it("uses the parameters recorded in the stored string", async () => {
		const stored = cheapHash("s3cret-password");
		await expect(verifyPassword("s3cret-password", stored)).resolves.toBe(true);
		await expect(verifyPassword("s3cret-passworD", stored)).resolves.toBe(false);
	});

	it("compares passwords after Unicode NFKC normalization", async () => {
		// "ﬁ" (U+FB01) normalizes to "fi" under NFKC, so the ligature spelling matches the plain one.
		const stored = cheapHash("finance-pass");
		await expect(verifyPassword("\uFB01nance-pass", stored)).resolves.toBe(true);
	});

	it("refuses a hash of the wrong length", async () => {
		const parts = cheapHash("pw-12345").split("$");
		parts[5] = Buffer.from(parts[5], "base64").subarray(0, 32).toString("base64");
		await expect(verifyPassword("pw-12345", parts.join("$"))).resolves.toBe(false);
	});

	it.each([
		["an empty string", ""],
		["plain text", "not-a-hash"],
		["another scheme", "bcrypt$17$8$1$c2FsdA==$aGFzaA=="],
		["a missing hash", "scrypt$17$8$1$c2FsdA=="],
		["an empty hash", "scrypt$17$8$1$c2FsdA==$"],
		["an empty salt", "scrypt$17$8$1$$aGFzaA=="],
	])("returns false for a stored string with %s", async (_label, stored) => {
		await expect(verifyPassword("anything", stored)).resolves.toBe(false);
	});
});

describe("decoyHash", () => {
	it("returns the same full-cost hash every time", async () => {
		const [a, b] = await Promise.all([decoyHash(), decoyHash()]);
		expect(a).toBe(b);
		expect(a.startsWith("scrypt$17$8$1$")).toBe(true);
		await expect(decoyHash()).resolves.toBe(a);
	});

	it("answers false, not an error, for a stored string with a corrupt or absurd cost", async () => {
		await expect(verifyPassword("x", "scrypt$abc$8$1$c2FsdA==$aGFzaA==")).resolves.toBe(false);
		await expect(verifyPassword("x", "scrypt$40$8$1$c2FsdA==$aGFzaA==")).resolves.toBe(false);
	});
});
