/*
 * One JSON shape for every failure the gateway answers: `{ error: { type, message, code, data? } }`.
 * Client errors keep their type, message and data; server errors are reported without internals.
 */

export interface ErrorBody {
	error: { type: string; message: string; code: number; data?: unknown };
}

interface ErrorLike {
	name?: string;
	message?: string;
	code?: unknown;
	status?: unknown;
	statusCode?: unknown;
	type?: unknown;
	data?: unknown;
}

/** body-parser reports its failures as http-errors with these types. */
const BODY_PARSER_TYPES: Record<string, { type: string; message: string }> = {
	"entity.parse.failed": { type: "MALFORMED_JSON", message: "The request body is not valid JSON" },
	"entity.too.large": { type: "PAYLOAD_TOO_LARGE", message: "The request body is too large" },
	"encoding.unsupported": { type: "UNSUPPORTED_ENCODING", message: "The request body's encoding is not supported" },
	"charset.unsupported": { type: "UNSUPPORTED_CHARSET", message: "The request body's charset is not supported" },
};

/** For errors raised without a type, e.g. moleculer-web's own RateLimitExceeded. */
const TYPE_BY_STATUS: Record<number, string> = {
	400: "BAD_REQUEST",
	401: "UNAUTHORIZED",
	403: "FORBIDDEN",
	404: "NOT_FOUND",
	409: "CONFLICT",
	413: "PAYLOAD_TOO_LARGE",
	422: "VALIDATION_ERROR",
	429: "RATE_LIMIT_EXCEEDED",
	503: "SERVICE_UNAVAILABLE",
	504: "REQUEST_TIMEOUT",
};

/** Server-side failures are described in general terms; the details go to the log, not the client. */
const SERVER_MESSAGES: Record<number, string> = {
	500: "Something went wrong",
	502: "A service behind the gateway failed; try again",
	503: "A service needed for this request is unavailable; try again shortly",
	504: "A service took too long to answer; try again",
};

function httpStatus(err: ErrorLike): number {
	for (const candidate of [err.code, err.status, err.statusCode]) {
		if (typeof candidate === "number" && candidate >= 400 && candidate <= 599) return candidate;
	}
	return 500;
}

export function errorResponse(raw: unknown): { status: number; body: ErrorBody } {
	const err: ErrorLike = raw instanceof Error || (typeof raw === "object" && raw !== null) ? (raw as ErrorLike) : {};
	const status = httpStatus(err);
	const parserError = typeof err.type === "string" ? BODY_PARSER_TYPES[err.type] : undefined;

	if (parserError) return { status, body: { error: { ...parserError, code: status } } };
	// Which internal action, service or node was involved is nobody's business outside the cluster.
	if (status === 404 && (err.type === undefined || err.type === "SERVICE_NOT_FOUND" || err.type === "NOT_FOUND")) {
		return { status, body: { error: { type: "NOT_FOUND", message: "Not found", code: 404 } } };
	}
	// Moleculer reports a known service with no live instance as 404; for the client it is a 503.
	if (err.type === "SERVICE_NOT_AVAILABLE") {
		return { status: 503, body: { error: { type: "SERVICE_UNAVAILABLE", message: SERVER_MESSAGES[503]!, code: 503 } } };
	}
	if (status >= 500) {
		const known = status !== 500 && (typeof err.type === "string" || TYPE_BY_STATUS[status]);
		const type = known ? (typeof err.type === "string" && err.type ? err.type : TYPE_BY_STATUS[status]!) : "INTERNAL_ERROR";
		const code = known ? status : 500;
		return { status: code, body: { error: { type, message: SERVER_MESSAGES[code] ?? SERVER_MESSAGES[500]!, code } } };
	}

	const body: ErrorBody = {
		error: {
			type: typeof err.type === "string" && err.type ? err.type : (TYPE_BY_STATUS[status] ?? "ERROR"),
			message: err.message || "Request failed",
			code: status,
		},
	};
	if (err.data !== undefined) body.error.data = err.data;
	return { status, body };
}
