/*
 * One JSON shape for every failure the gateway answers: `{ error: { type, message, code, data? } }`.
 * Client errors keep their type and message, and data only as far as it is the client's to see:
 * a validation failure names the field, the rule and a message, never the node or action that
 * checked it, nor the value the client sent; other data is kept while it is small. Server errors
 * are reported without internals. Nothing here can throw, whatever the error holds.
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

/** For errors raised without a type, e.g. moleculer-web's own RateLimitExceeded. */
const TYPE_BY_STATUS: Record<number, string> = {
	400: "BAD_REQUEST",
	401: "UNAUTHORIZED",
	403: "FORBIDDEN",
	404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED",
	409: "CONFLICT",
	413: "PAYLOAD_TOO_LARGE",
	415: "UNSUPPORTED_MEDIA_TYPE",
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

/** Text from an error, cut to a length a client can be shown. */
const MAX_TEXT = 200;
/** Data larger than this, as JSON, is dropped rather than sent. */
const MAX_DATA_JSON = 2048;
const MAX_VALIDATION_ITEMS = 20;

function clip(value: unknown): string {
	const text = typeof value === "string" ? value : "";
	return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A validation failure's items as the client sees them: field, rule, message. */
function validationItems(data: unknown[]): { field: string; type: string; message: string }[] {
	return data.slice(0, MAX_VALIDATION_ITEMS).map((item) => {
		const { field, type, message } = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
		return { field: clip(field), type: clip(type), message: clip(message) };
	});
}

/** Data a service chose to give (ids, a SKU), as a copy; undefined when it is large or not plain JSON. */
function boundedData(data: unknown): unknown {
	try {
		const json = JSON.stringify(data);
		return json !== undefined && json.length <= MAX_DATA_JSON ? JSON.parse(json) : undefined;
	} catch {
		return undefined;
	}
}

export function errorResponse(raw: unknown): { status: number; body: ErrorBody } {
	try {
		return describe(raw);
	} catch {
		return { status: 500, body: { error: { type: "INTERNAL_ERROR", message: SERVER_MESSAGES[500]!, code: 500 } } };
	}
}

function describe(raw: unknown): { status: number; body: ErrorBody } {
	const err: ErrorLike = raw instanceof Error || (typeof raw === "object" && raw !== null) ? (raw as ErrorLike) : {};
	const status = httpStatus(err);
	// Which internal action, service or node was involved is nobody's business outside the cluster.
	if (status === 404 && (err.type === undefined || err.type === "NOT_FOUND")) {
		return { status, body: { error: { type: "NOT_FOUND", message: "Not found", code: 404 } } };
	}
	// Moleculer reports an action no live node offers (a service called on the way, all of whose
	// nodes are down) as 404; for the client it is a 503. The gateway's own unknown paths are
	// NOT_FOUND above: every route's action is published, so none is refused as unknown.
	if (err.type === "SERVICE_NOT_AVAILABLE" || err.type === "SERVICE_NOT_FOUND") {
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
			message: clip(err.message) || "Request failed",
			code: status,
		},
	};
	const data = body.error.type === "VALIDATION_ERROR" && Array.isArray(err.data) ? validationItems(err.data) : boundedData(err.data);
	if (data !== undefined) body.error.data = data;
	return { status, body };
}
