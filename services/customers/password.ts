import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/*
 * Passwords are stored as `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` with OWASP's recommended
 * parameters (N = 2^17, r = 8, p = 1). Keeping the parameters in the stored string lets the
 * cost be raised later without invalidating existing hashes.
 */

const LOG2_N = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 64;
const SALT_LENGTH = 16;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
	const options: ScryptOptions = { N: 2 ** log2N, r, p, maxmem: 2 * 128 * 2 ** log2N * r };
	return new Promise((resolve, reject) => scrypt(password.normalize("NFKC"), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(SALT_LENGTH);
	const key = await derive(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM);
	return ["scrypt", LOG2_N, BLOCK_SIZE, PARALLELISM, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const [scheme, log2N, r, p, salt, hash] = stored.split("$");
	const cost = { log2N: Number(log2N), r: Number(r), p: Number(p) };
	// A corrupt or hostile stored string must not make us allocate gigabytes or throw a 500.
	const sane =
		Number.isInteger(cost.log2N) &&
		cost.log2N >= 1 &&
		cost.log2N <= 20 &&
		Number.isInteger(cost.r) &&
		cost.r >= 1 &&
		cost.r <= 32 &&
		Number.isInteger(cost.p) &&
		cost.p >= 1 &&
		cost.p <= 16;
	if (scheme !== "scrypt" || !salt || !hash || !sane) return false;
	const expected = Buffer.from(hash, "base64");
	const actual = await derive(password, Buffer.from(salt, "base64"), cost.log2N, cost.r, cost.p);
	return actual.length === expected.length && timingSafeEqual(actual, expected);
}

let decoy: Promise<string> | undefined;

/**
 * A hash to verify against when the email is unknown, so that a login for a missing account
 * takes as long as one with a wrong password and does not reveal which emails are registered.
 */
export function decoyHash(): Promise<string> {
	decoy ??= hashPassword(randomBytes(16).toString("hex"));
	return decoy;
}
