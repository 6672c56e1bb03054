import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/*
 * The sandbox's HTTP plumbing on plain node:http: reading a bounded body, Stripe-shaped error
 * bodies, and the one way every answer is written. Nothing here knows about payments.
 */

/** The largest request body read; a larger one is refused before it is read whole. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** Nesting deeper than any request of this API needs; refused so that walking a body cannot exhaust the stack. */
const MAX_JSON_DEPTH = 32;

export type ErrorType = "invalid_request_error" | "card_error" | "idempotency_error" | "authentication_error" | "api_error";

/** One finished answer: kept whole so that an idempotent replay can send exactly the same bytes. */
export interface Answer {
	status: number;
	body: string;
	contentType?: string;
	headers?: Record<string, string>;
}

export interface ErrorDetails {
	code?: string;
	param?: string;
	payment_intent?: unknown;
}

/** A failure the API answers with `{"error": {...}}` and its status. */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly type: ErrorType,
		message: string,
		readonly details: ErrorDetails = {},
		readonly headers: Record<string, string> = {},
	) {
		super(message);
		this.name = "ApiError";
	}

	answer(): Answer {
		return { ...json(this.status, { error: { type: this.type, ...this.details, message: this.message } }), headers: this.headers };
	}
}

export function invalidParam(param: string, message: string): ApiError {
	return new ApiError(400, "invalid_request_error", message, { code: "parameter_invalid", param });
}

export function missingParam(param: string): ApiError {
	return new ApiError(400, "invalid_request_error", `Missing required param: ${param}.`, { code: "parameter_missing", param });
}

export function noSuch(kind: string, id: string, param = "id"): ApiError {
	return new ApiError(404, "invalid_request_error", `No such ${kind}: '${id}'`, { code: "resource_missing", param });
}

export function json(status: number, value: unknown): Answer {
	return { status, body: JSON.stringify(value) };
}

export function html(status: number, page: string): Answer {
	return { status, body: page, contentType: "text/html; charset=utf-8" };
}

/** The request's body, refused with 413 past BODY_LIMIT_BYTES (by its declared length when it has one). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
	const tooLarge = () =>
		new ApiError(413, "invalid_request_error", `The request body is larger than ${BODY_LIMIT_BYTES} bytes.`, {}, { connection: "close" });
	if (Number(req.headers["content-length"] ?? 0) > BODY_LIMIT_BYTES) throw tooLarge();
	// Listeners rather than `for await`: leaving that loop early destroys the socket, and the 413 with it.
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size <= BODY_LIMIT_BYTES) return void chunks.push(chunk);
			req.off("data", onData);
			reject(tooLarge());
		};
		req.on("data", onData);
		req.once("end", () => resolve(Buffer.concat(chunks)));
		req.once("error", reject);
		// A connection closed mid-body (a client gone, or stop()) ends the wait too; after "end" this changes nothing.
		req.once("close", () => reject(new Error("The connection closed before the body was read.")));
	});
}

function depthWithin(value: unknown, depthLeft: number): boolean {
	if (value === null || typeof value !== "object") return true;
	if (depthLeft === 0) return false;
	return Object.values(value as object).every((child) => depthWithin(child, depthLeft - 1));
}

export type JsonObject = Record<string, unknown>;

/** The body as a JSON object; an empty body is an empty object (confirm and cancel need none). */
export function jsonObject(body: Buffer): JsonObject {
	const text = body.toString("utf8");
	if (text.trim() === "") return {};
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new ApiError(400, "invalid_request_error", "The request body is not valid JSON.");
	}
	if (value === null || typeof value !== "object" || Array.isArray(value)) {
		throw new ApiError(400, "invalid_request_error", "The request body must be a JSON object.");
	}
	if (!depthWithin(value, MAX_JSON_DEPTH))
		throw new ApiError(400, "invalid_request_error", `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
	return value as JsonObject;
}

/** JSON with every object's keys sorted, so the same request in another key order is the same request. */
export function canonicalJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	if (value !== null && typeof value === "object") {
		const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(",")}}`;
	}
	return JSON.stringify(value) ?? "null";
}

/** A change asked for while the sandbox stops: answered 503 and, not being an answer of the API, never kept for a key. */
export class SandboxStoppingError extends Error {
	constructor() {
		super("The payment sandbox is stopping.");
		this.name = "SandboxStoppingError";
	}
}

/** Whether `given` is the secret `kept`, compared as hashes: in constant time whatever the lengths. */
export function sameSecret(given: string, kept: string): boolean {
	const digest = (text: string) => createHash("sha256").update(text).digest();
	return timingSafeEqual(digest(given), digest(kept));
}

/** Whether the request carries `Authorization: Bearer <secret>`. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
	const match = /^Bearer (.+)$/.exec(header ?? "");
	return match !== null && sameSecret(match[1]!, secret);
}

export function send(res: ServerResponse, answer: Answer): void {
	res.writeHead(answer.status, {
		"content-type": answer.contentType ?? "application/json; charset=utf-8",
		"content-length": Buffer.byteLength(answer.body),
		"cache-control": "no-store",
		"x-content-type-options": "nosniff",
		...answer.headers,
	});
	res.end(answer.body);
}
