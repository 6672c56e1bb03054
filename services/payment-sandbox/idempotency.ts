import { createHash } from "node:crypto";
import { ApiError, canonicalJson, invalidParam, type Answer, type JsonObject } from "./http-io";
import type { Table, IdempotencyRow } from "./store";

/*
 * Idempotency keys as Stripe keeps them: the first answer to a POST under a key is stored with a
 * fingerprint of the request; the same request again gets that answer back (status and body, with
 * Idempotent-Replayed: true), another request under the key is an idempotency_error. An answer is
 * stored once the operation has run, whatever it said (a decline's 402 too); a request refused
 * before it ran (a malformed parameter) stores nothing, so it can be corrected under the same key.
 */

/** 1 to 255 printable ASCII characters, not starting or ending with a space (HTTP would drop those). */
const KEY_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** The request's Idempotency-Key: undefined without one, 400 for one no client could have meant. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
	if (header === undefined || header === "") return undefined;
	if (typeof header !== "string" || !KEY_PATTERN.test(header))
		throw invalidParam("Idempotency-Key", "Idempotency-Key must be 1 to 255 printable ASCII characters.");
	return header;
}

export function fingerprintOf(method: string, path: string, body: JsonObject): string {
	return createHash("sha256")
		.update(`${method} ${path}\n${canonicalJson(body)}`)
		.digest("hex");
}

export class IdempotencyKeeper {
	/** The request under way per key: a second one with the key waits for it, then replays its answer. */
	private readonly busy = new Map<string, Promise<unknown>>();

	constructor(
		private readonly rows: Table<IdempotencyRow>,
		private readonly nextSeq: () => number,
	) {}

	/**
	 * The stored answer to this key, or `operate`'s, stored. `operate` throws what it refuses
	 * before acting (not stored) and returns what it answered after acting (stored).
	 */
	async answer(key: string, fingerprint: string, operate: () => Promise<Answer>): Promise<Answer> {
		const before = this.busy.get(key) ?? Promise.resolve();
		const run = before.then(() => this.answerAlone(key, fingerprint, operate));
		const settled = run.catch(() => undefined);
		this.busy.set(key, settled);
		void settled.then(() => this.busy.get(key) === settled && this.busy.delete(key));
		return run;
	}

	private async answerAlone(key: string, fingerprint: string, operate: () => Promise<Answer>): Promise<Answer> {
		const earlier = await this.rows.get(key);
		if (earlier) {
			if (earlier.fingerprint !== fingerprint) {
				throw new ApiError(
					400,
					"idempotency_error",
					`Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
				);
			}
			return { status: earlier.status, body: earlier.body, headers: { "idempotent-replayed": "true" } };
		}
		const answer = await operate();
		await this.rows.insert({ _id: key, seq: this.nextSeq(), fingerprint, status: answer.status, body: answer.body });
		return answer;
	}
}
