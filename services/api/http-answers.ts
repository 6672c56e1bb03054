import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorResponse } from "./error-response";
import { answerThenClose } from "./lingering-close";

/*
 * The gateway's own answers and headers, outside what an action returns: errors in the one
 * shape, the headers every answer carries, and the entity tags of public reads.
 */

export const REQUEST_ID_HEADER = "X-Request-Id";

/** What the gateway keeps on a request while it serves it. */
export interface AnsweredRequest extends IncomingMessage {
	/** The client's X-Request-Id when it sent a sensible one, otherwise one made for it. */
	$requestId?: string;
}

/**
 * Headers for every answer, set before anything else runs: a JSON API is never to be sniffed as
 * HTML, framed, or stored by a cache unless a public read says so (see publicCacheHeaders).
 */
export function setBaseHeaders(req: AnsweredRequest, res: ServerResponse): void {
	res.setHeader("X-Content-Type-Options", "nosniff");
	res.setHeader("Cache-Control", "no-store");
	res.setHeader("Referrer-Policy", "no-referrer");
	res.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
	returnRequestId(req, res);
}

/** moleculer-web writes its trace id into X-Request-ID; the client gets its request id back instead. */
export function returnRequestId(req: AnsweredRequest, res: ServerResponse): void {
	if (req.$requestId && !res.headersSent) res.setHeader(REQUEST_ID_HEADER, req.$requestId);
}

export function publicCacheHeaders(res: ServerResponse, maxAgeSeconds: number): void {
	res.setHeader("Cache-Control", `public, max-age=${maxAgeSeconds}`);
	// The same URL answers an admin with more (inactive products): caches keep answers per token.
	res.setHeader("Vary", "Authorization");
}

const tagOfFrozen = new WeakMap<object, string>();

/** A strong entity tag for a JSON answer; a cached read (frozen, shared) is hashed once. */
export function entityTag(data: unknown, json: string): string {
	const frozen = typeof data === "object" && data !== null && Object.isFrozen(data);
	const known = frozen ? tagOfFrozen.get(data) : undefined;
	if (known) return known;
	const tag = `"${createHash("sha256").update(json).digest("base64url").slice(0, 32)}"`;
	if (frozen) tagOfFrozen.set(data, tag);
	return tag;
}

/**
 * Answers an error in the one shape. It cannot throw: if even that fails, the connection is
 * closed rather than left to an unhandled rejection that would stop the node.
 */
export function sendJsonError(req: AnsweredRequest, res: ServerResponse, err: unknown): void {
	try {
		if (res.headersSent) {
			res.end();
			return;
		}
		const { status, body } = errorResponse(err);
		returnRequestId(req, res);
		res.setHeader("Cache-Control", "no-store");
		const allow = status === 405 ? (body.error.data as { allow?: unknown } | undefined)?.allow : undefined;
		if (Array.isArray(allow)) res.setHeader("Allow", allow.join(", "));
		res.statusCode = status;
		res.setHeader("Content-Type", "application/json; charset=utf-8");
		// A body refused before it was read (over the limit, or of the wrong type) is not kept: the
		// connection goes once the rest is read and dropped, within the lingering bounds. Left to
		// Node, a keep-alive connection would read it to its end, a slow client's for minutes.
		if (status === 413 || !req.complete) answerThenClose(req, res, JSON.stringify(body));
		else res.end(JSON.stringify(body));
	} catch {
		res.destroy();
	}
}
