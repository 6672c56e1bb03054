import type { IncomingMessage } from "node:http";
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../../lib/errors";

/*
 * The gateway's only way into a request body. Everything that later walks the body (the
 * validator, error rendering, logging, JSON.stringify) recurses, so the body is bounded before
 * anyone sees it: its size while it is read, its nesting depth before it is parsed (by a flat
 * scan, so the check itself cannot recurse), and the keys that would reach an object's
 * prototype when the params are assembled. A body is a JSON object or nothing.
 */

/** Deeper than any request of the shop needs (an order's address sits at depth 3). */
export const MAX_JSON_DEPTH = 16;

/** Keys that name or reach an object's prototype when assigned: refused anywhere in a body. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Whether the request carries a body at all (a zero Content-Length is none). */
export function hasBody(req: IncomingMessage): boolean {
	if (req.headers["transfer-encoding"] !== undefined) return true;
	const length = req.headers["content-length"];
	return length !== undefined && length !== "0";
}

/** Content-Type must be JSON, in UTF-8; Content-Encoding must be none (no compressed bodies). */
export function checkJsonHeaders(req: IncomingMessage): void {
	const encoding = (req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
	if (encoding !== "identity") {
		throw new UnsupportedMediaTypeError("UNSUPPORTED_ENCODING", "Request bodies are not accepted compressed; send them without Content-Encoding");
	}
	const [mediaType, ...parameters] = (req.headers["content-type"] ?? "").split(";").map((part) => part.trim().toLowerCase());
	if (mediaType !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType ?? "")) {
		throw new UnsupportedMediaTypeError("UNSUPPORTED_MEDIA_TYPE", "Request bodies must be JSON, sent as Content-Type: application/json");
	}
	const charset = parameters
		.find((parameter) => parameter.startsWith("charset="))
		?.slice("charset=".length)
		.replace(/"/g, "");
	if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
		throw new UnsupportedMediaTypeError("UNSUPPORTED_CHARSET", "Request bodies must be UTF-8");
	}
}

/**
 * Reads at most `limitBytes`; a longer body is refused as soon as it passes the limit. The rest of
 * it is left unread, not destroyed with the request: that would close the connection before the
 * 413 is written, which the lingering close of that answer reads and drops (lingering-close.ts).
 */
export function readBytes(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
	const declared = Number(req.headers["content-length"]);
	if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(new PayloadTooLargeError(limitBytes));
	const aborted = () => Object.assign(new Error("The client closed the connection mid-body"), { code: "ECONNRESET" });
	if (req.destroyed) return Promise.reject(aborted());
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		const settle = (error: Error | undefined) => {
			req.off("data", onData);
			req.off("end", onEnd);
			req.off("error", settle);
			req.off("close", onClose);
			if (error) reject(error);
			else resolve(Buffer.concat(chunks, size));
		};
		const onData = (chunk: Buffer) => {
			size += chunk.length;
			if (size > limitBytes) {
				req.pause();
				settle(new PayloadTooLargeError(limitBytes));
				return;
			}
			chunks.push(chunk);
		};
		const onEnd = () => settle(undefined);
		// A request whose client went away mid-body may close without an error event.
		const onClose = () => settle(aborted());
		req.on("data", onData);
		req.once("end", onEnd);
		req.once("error", settle);
		req.once("close", onClose);
	});
}

/**
 * The deepest nesting of arrays and objects in a JSON text, counted without parsing it: brackets
 * inside strings do not count. Stops as soon as `limit` is passed.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (inString) {
			if (c === 0x5c /* \ */) i++;
			else if (c === 0x22 /* " */) inString = false;
		} else if (c === 0x22) {
			inString = true;
		} else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
			if (++depth > limit) return true;
		} else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
			depth--;
		}
	}
	return false;
}

/** The path of the first forbidden key, walking with a stack (the depth is already bounded). */
export function findForbiddenKey(value: unknown): string | undefined {
	const stack: { value: unknown; path: string }[] = [{ value, path: "" }];
	while (stack.length > 0) {
		const { value: current, path } = stack.pop()!;
		if (typeof current !== "object" || current === null) continue;
		for (const key of Object.keys(current)) {
			const at = Array.isArray(current) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
			if (!Array.isArray(current) && FORBIDDEN_KEYS.has(key)) return at;
			stack.push({ value: (current as Record<string, unknown>)[key], path: at });
		}
	}
	return undefined;
}

/** Decodes and checks a body's text; returns the JSON object it holds. */
export function parseJsonObject(bytes: Buffer): Record<string, unknown> {
	let text: string;
	try {
		text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
	} catch {
		throw new BadRequestError("INVALID_ENCODING", "The request body is not valid UTF-8");
	}
	if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
		throw new BadRequestError("JSON_TOO_DEEP", `The request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new BadRequestError("MALFORMED_JSON", "The request body is not valid JSON");
	}
	if (typeof value !== "object" || value === null || Array.isArray(value)) {
		throw new BadRequestError("BODY_NOT_AN_OBJECT", "The request body must be a JSON object");
	}
	const forbidden = findForbiddenKey(value);
	if (forbidden !== undefined) {
		// The path is built from the client's keys: bounded before it goes back to them.
		throw new BadRequestError("FORBIDDEN_KEY", "The request body uses a reserved key (__proto__, constructor or prototype)", {
			field: forbidden.slice(0, 200),
		});
	}
	return value as Record<string, unknown>;
}

/** The whole body of a request that has one: headers checked, size bounded, parsed, checked. */
export async function readJsonObject(req: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
	checkJsonHeaders(req);
	return parseJsonObject(await readBytes(req, limitBytes));
}
