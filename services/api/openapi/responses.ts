import { paramSource, pathParams, type PublicRoute } from "../routes";
import type { JsonSchema } from "./json-schema";
import { componentRef as ref } from "./schema-parts";

/*
 * The answers each operation documents: its success, the errors any request of its kind may
 * meet, and the refusals the route table names. Each answer declares only the headers the
 * gateway sends with that status, since clients and fuzzers hold the document to them
 * (Schemathesis fails an answer that lacks a header declared required):
 *
 *   X-Request-Id         every answer (http-answers.ts: setBaseHeaders, sendJsonError)
 *   X-Rate-Limit-*       an auth route's success and its 429, where a client looks for them.
 *                        moleculer-web sets them on every answer after its rate limiter counted the
 *                        request (so its 401, 409 and 422 carry them too, undeclared), which is after
 *                        the body is read: a 400, 413 or 415 of an unreadable body goes without them
 *   Location             a 201 only: moleculer-web writes ctx.meta.$location for that status alone
 *   Idempotent-Replayed  the success of a route that takes an Idempotency-Key, when it answers an
 *                        earlier request (the action's ctx.meta.$responseHeaders)
 *
 * Nothing sends Retry-After (neither moleculer-web's rate limiter nor a full bulkhead), so no
 * answer declares it.
 */

/**
 * Statuses some actions give that the route table cannot express (its refusals are 409 and 422
 * only): keyed by action, with the description of the response.
 */
const ACTION_STATUSES: Readonly<Record<string, Partial<Record<"401" | "404", string>>>> = {
	"customers.login": { "401": "The email or password is wrong (INVALID_CREDENTIALS)." },
	"payments.list": { "404": "No payment of the caller's for the orderId asked for (PAYMENT_NOT_FOUND)." },
};

const REQUEST_ID_HEADER = { "X-Request-Id": ref("headers", "RequestId") };
const RATE_LIMIT_HEADERS = {
	"X-Rate-Limit-Limit": { description: "Requests a client address may make per minute here.", schema: { type: "integer" } },
	"X-Rate-Limit-Remaining": { description: "Requests left in the current minute.", schema: { type: "integer" } },
	"X-Rate-Limit-Reset": { description: "When the current minute ends, in milliseconds since the epoch.", schema: { type: "integer" } },
};

function errorResponse(description: string, schema: JsonSchema = ref("schemas", "Error"), headers: Record<string, unknown> = REQUEST_ID_HEADER) {
	return { description, headers, content: { "application/json": { schema } } };
}

/** Error responses many operations share; operations refer to them by name. */
export const RESPONSES = {
	BadRequest: errorResponse(
		"The request is malformed: JSON that does not parse or is not an object, a body on a read or a query string on a write, a missing body, a path parameter sent again, or an Idempotency-Key that is not 1 to 255 printable ASCII characters.",
	),
	Unauthorized: errorResponse("No usable bearer token: none where one is needed, or one that is malformed, invalid or expired."),
	Forbidden: errorResponse("The caller's token lacks the role this operation needs (ROLE_FORBIDDEN)."),
	NotFound: errorResponse("Nothing with this id, or nothing the caller may see."),
	PayloadTooLarge: errorResponse("The request body is larger than the gateway accepts."),
	UnsupportedMediaType: errorResponse("The body is not JSON in UTF-8, or it is compressed."),
	ValidationFailed: errorResponse(
		"The parameters break the operation's rules (VALIDATION_ERROR); data lists each failed check.",
		ref("schemas", "ValidationError"),
	),
	Overloaded: errorResponse("The service is overloaded (QUEUE_FULL); try again shortly."),
	ServiceUnavailable: errorResponse("A service or store this request needs is unavailable; try again shortly."),
	GatewayTimeout: errorResponse("A service took too long to answer (REQUEST_TIMEOUT); try again."),
};

/** The headers of the route's success (see the table above). */
function successHeaders(route: PublicRoute): Record<string, unknown> {
	const headers: Record<string, unknown> = { ...REQUEST_ID_HEADER, ...(route.group === "auth" ? RATE_LIMIT_HEADERS : {}) };
	if (route.success === 201) headers.Location = { description: "Where the created resource can be read.", required: true, schema: { type: "string" } };
	if (route.idempotencyKey) {
		headers["Idempotent-Replayed"] = {
			description: "`true` when this answers an earlier request with the same Idempotency-Key.",
			schema: { type: "string", enum: ["true"] },
		};
	}
	return headers;
}

/** The answers of the route's operation; `action` is what its action declares (document.ts ActionDescription). */
export function responses(
	route: PublicRoute,
	action: { params?: Record<string, unknown>; auth?: "customer" | "admin" },
	links: Record<string, unknown> | undefined,
): Record<string, Record<string, unknown>> {
	const out: Record<string, Record<string, unknown>> = {};
	const auth = route.group === "auth";
	const writes = paramSource(route.method) === "body";
	const extra = ACTION_STATUSES[route.action] ?? {};
	const refusals = (status: 409 | 422) => (route.refusals ?? []).filter((refusal) => refusal.status === status).flatMap((refusal) => refusal.types);

	out[String(route.success)] = {
		description: route.success === 201 ? "Created." : "OK.",
		headers: successHeaders(route),
		content: route.media
			? // An event stream's schema describes each of its events (OpenAPI 3.1, as Schemathesis reads it); other media are text.
				Object.fromEntries(
					route.media.map((media) => [media, { schema: media.startsWith("text/event-stream") ? ref("schemas", route.result) : { type: "string" } }]),
				)
			: { "application/json": { schema: ref("schemas", route.result) } },
		...(links ? { links } : {}),
	};

	out["400"] = ref("responses", "BadRequest");
	if (extra["401"]) out["401"] = errorResponse(extra["401"]);
	else if (!auth) out["401"] = ref("responses", "Unauthorized");
	if (action.auth === "admin") out["403"] = ref("responses", "Forbidden");
	if (extra["404"]) out["404"] = errorResponse(extra["404"]);
	else if (pathParams(route.path).length > 0) out["404"] = ref("responses", "NotFound");
	const conflicts = refusals(409);
	if (conflicts.length > 0) out["409"] = errorResponse(`Refused: ${conflicts.join(", ")}.`, typedError(conflicts));
	if (writes) {
		out["413"] = ref("responses", "PayloadTooLarge");
		out["415"] = ref("responses", "UnsupportedMediaType");
	}
	const unprocessable = refusals(422);
	if (unprocessable.length > 0) {
		out["422"] = errorResponse(`The parameters break the operation's rules (VALIDATION_ERROR), or it is refused: ${unprocessable.join(", ")}.`, {
			oneOf: [ref("schemas", "ValidationError"), typedError(unprocessable)],
		});
	} else if (action.params !== undefined) {
		out["422"] = ref("responses", "ValidationFailed");
	}
	out["429"] = auth
		? errorResponse("Too many requests from this client address (RATE_LIMIT_EXCEEDED), or the service is overloaded (QUEUE_FULL).", undefined, {
				...REQUEST_ID_HEADER,
				...RATE_LIMIT_HEADERS,
			})
		: ref("responses", "Overloaded");
	out["503"] =
		route.result === "Health"
			? {
					description: "Some service the shop needs is unavailable; `missing` lists them.",
					headers: REQUEST_ID_HEADER,
					content: { "application/json": { schema: ref("schemas", "Health") } },
				}
			: ref("responses", "ServiceUnavailable");
	out["504"] = ref("responses", "GatewayTimeout");
	return out;
}

/** The error shape, narrowed to the given types. */
function typedError(types: string[]): JsonSchema {
	return { allOf: [ref("schemas", "Error")], type: "object", properties: { error: { type: "object", properties: { type: { enum: types } } } } };
}
