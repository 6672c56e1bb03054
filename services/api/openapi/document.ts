import { refuseNullInParams, VALIDATOR_OPTIONS } from "../../../lib/validator";
import { escapeRegExp } from "../../../lib/paging";
import { IDEMPOTENCY_KEY_PATTERN } from "../../../lib/idempotency";
import { PATH_PARAM, paramSource, pathParams, type PublicRoute } from "../routes";
import { paramsToJsonSchema, type JsonSchema } from "./json-schema";
import { RESPONSES, responses } from "./responses";
import { componentRef } from "./schema-parts";
import { COMPONENT_SCHEMAS, REQUEST_EXAMPLES } from "./schemas";

/*
 * The OpenAPI 3.1 document of the public API, built from the route table (routes.ts) and the
 * actions' own `params` and `auth`. The gateway passes the actions as the registry knows them,
 * so the document describes what the running services validate, wherever they run. Whatever
 * the route table and the rules cannot tell (the error shape, the results) comes from
 * schemas.ts; the answers each operation gives, with their headers, from responses.ts.
 */

export interface ActionDescription {
	params?: Record<string, unknown>;
	auth?: "customer" | "admin";
}

export interface OpenApiInput {
	routes: readonly PublicRoute[];
	/** Action name → its params and auth, e.g. from broker.registry.getActionList(). */
	actions: Readonly<Record<string, ActionDescription | undefined>>;
	info: { version: string; title?: string; description?: string };
}

export type OpenApiDocument = {
	openapi: "3.1.0";
	info: { title: string; version: string; description?: string };
	servers: { url: string }[];
	tags: { name: string }[];
	paths: Record<string, Record<string, Operation>>;
	components: Record<string, Record<string, unknown>>;
};

export type Operation = {
	operationId: string;
	summary: string;
	description: string;
	tags: string[];
	security: Record<string, string[]>[];
	parameters: Record<string, unknown>[];
	requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema; example?: unknown }> };
	responses: Record<string, Record<string, unknown>>;
	"x-roles"?: string[];
};

/** The table names an action no node offers now: its params, and so the document, are unknown. */
export class MissingActionsError extends Error {
	constructor(readonly actions: string[]) {
		super(`No node offers ${actions.join(", ")}; the API document cannot describe ${actions.length === 1 ? "it" : "them"}`);
		this.name = "MissingActionsError";
	}
}

export function buildOpenApiDocument(input: OpenApiInput): OpenApiDocument {
	const missing = [...new Set(input.routes.map((route) => route.action))].filter((action) => !input.actions[action]);
	if (missing.length > 0) throw new MissingActionsError(missing);

	const ids = operationIds(input.routes);
	const paths: OpenApiDocument["paths"] = {};
	input.routes.forEach((route, index) => {
		const path = openApiPath(route.path);
		paths[path] ??= {};
		paths[path]![route.method.toLowerCase()] = operation(route, input.actions[route.action]!, ids[index]!, linksFrom(route, input.routes, ids));
	});

	return {
		openapi: "3.1.0",
		info: {
			title: input.info.title ?? "Shop API",
			version: input.info.version,
			description:
				input.info.description ??
				"The shop's public HTTP API. Every failure answers `{ error: { type, message, code, data? } }`; every response carries X-Request-Id.",
		},
		servers: [{ url: "/api" }],
		tags: [...new Set(input.routes.map((route) => route.tag))].map((name) => ({ name })),
		paths,
		components: {
			schemas: { ...COMPONENT_SCHEMAS },
			responses: RESPONSES,
			headers: {
				RequestId: {
					description: "The request's id: the client's X-Request-Id when it sent a sensible one, a new one otherwise.",
					required: true,
					schema: { type: "string" },
				},
			},
			parameters: {
				RequestId: {
					name: "X-Request-Id",
					in: "header",
					required: false,
					description: "An id to follow this request by in the shop's logs and traces.",
					schema: { type: "string" },
				},
				IdempotencyKey: {
					name: "Idempotency-Key",
					in: "header",
					required: false,
					description:
						"Makes a retry safe: the same key with the same body, from the same customer, answers the first request's result (with Idempotent-Replayed: true) instead of acting again, for IDEMPOTENCY_KEY_TTL_SECONDS (24 hours by default). The same key with another body is 422 IDEMPOTENCY_KEY_REUSED; a key that is not 1 to 255 printable ASCII characters is 400 IDEMPOTENCY_KEY_INVALID.",
					schema: { type: "string", minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN.source },
				},
			},
			securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The token POST /auth/login returns." } },
		},
	};
}

/** `/orders/:id/cancel` → `/orders/{id}/cancel` */
export function openApiPath(path: string): string {
	return path.replace(PATH_PARAM, "{$1}");
}

/** `catalogue.get` → `catalogueGet`; an action served by several routes gets the method too. */
function operationIds(routes: readonly PublicRoute[]): string[] {
	const camel = (text: string) => text.replace(/[._-]+([A-Za-z0-9])/g, (_, next: string) => next.toUpperCase());
	const uses = new Map<string, number>();
	for (const route of routes) uses.set(route.action, (uses.get(route.action) ?? 0) + 1);
	const ids = routes.map((route) => camel(uses.get(route.action)! > 1 ? `${route.action}.${route.method.toLowerCase()}` : route.action));
	const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
	if (duplicate) throw new Error(`Two routes would share the operationId ${duplicate}`);
	return ids;
}

/**
 * What a client (or a stateful fuzzer) can do next with what a 201 created at P: the operations
 * at P/{id} and below, given the new resource's id.
 */
function linksFrom(route: PublicRoute, routes: readonly PublicRoute[], ids: string[]): Record<string, unknown> | undefined {
	if (route.success !== 201) return undefined;
	const links: Record<string, unknown> = {};
	routes.forEach((target, index) => {
		const match = new RegExp(`^${escapeRegExp(route.path)}/${PATH_PARAM.source}(?:/|$)`).exec(target.path);
		if (!match) return;
		links[ids[index]!] = {
			operationId: ids[index],
			parameters: { [match[1]!]: "$response.body#/id" },
			description: `${target.method} ${openApiPath(target.path)} with the id of what was created.`,
		};
	});
	return Object.keys(links).length > 0 ? links : undefined;
}

function operation(route: PublicRoute, action: ActionDescription, operationId: string, links: Record<string, unknown> | undefined): Operation {
	// As the broker's validator sees them: null refused wherever a rule does not allow it.
	const params = action.params && refuseNullInParams(action.params);
	const fromPath = pathParams(route.path);
	const rest = Object.fromEntries(Object.entries(params ?? {}).filter(([name]) => !fromPath.includes(name)));
	const fields = Object.keys(rest).filter((name) => !name.startsWith("$$"));
	const reads = paramSource(route.method) === "query";

	const parameters: Record<string, unknown>[] = fromPath.map((name) => ({
		name,
		in: "path",
		required: true,
		schema: params?.[name] === undefined ? { type: "string" } : propertySchemas({ [name]: params[name] }, "path").properties[name],
	}));
	if (reads && fields.length > 0) {
		const query = propertySchemas(rest, "query");
		for (const name of fields) parameters.push({ name, in: "query", required: query.required.includes(name), schema: query.properties[name] });
	}
	parameters.push(componentRef("parameters", "RequestId"));
	if (route.idempotencyKey) parameters.push(componentRef("parameters", "IdempotencyKey"));

	const op: Operation = {
		operationId,
		summary: route.summary,
		description: describeAccess(route, action),
		tags: [route.tag],
		security: route.group !== "shop" ? [] : action.auth ? [{ bearerAuth: [] }] : [{}, { bearerAuth: [] }],
		parameters,
		responses: responses(route, action, links),
	};
	if (action.auth === "admin") op["x-roles"] = ["admin"];
	if (!reads && params === undefined) {
		// No params rule: the action takes whatever object it is sent.
		op.requestBody = { required: false, content: { "application/json": { schema: { type: "object" } } } };
	} else if (!reads && fields.length > 0) {
		const example = REQUEST_EXAMPLES[route.action];
		op.requestBody = {
			required: true,
			content: { "application/json": { schema: paramsToJsonSchema(rest, { source: "body", ...VALIDATOR_OPTIONS }), ...(example ? { example } : {}) } },
		};
	}
	return op;
}

function propertySchemas(params: Record<string, unknown>, source: "path" | "query"): { properties: Record<string, JsonSchema>; required: string[] } {
	const schema = paramsToJsonSchema(params, { source, ...VALIDATOR_OPTIONS });
	return { properties: schema.properties as Record<string, JsonSchema>, required: (schema.required as string[] | undefined) ?? [] };
}

function describeAccess(route: PublicRoute, action: ActionDescription): string {
	if (route.group === "auth") return "Anonymous; each client address may make a limited number of these requests per minute (429 beyond).";
	if (route.group === "webhooks")
		return 'For the card processor only: no token, authenticated by its `Signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, at most 5 minutes old; 400 when it does not sign the body). An event seen before, or about no payment, is 200 and changes nothing; bodies over 64 kB are 413.';
	if (action.auth === "admin") return "Needs a bearer token of a user with the admin role.";
	if (action.auth === "customer") return "Needs a bearer token.";
	return "Works without a token; a token, when sent, must be valid.";
}
