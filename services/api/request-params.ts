import type { IncomingMessage } from "node:http";
import { BadRequestError } from "../../lib/errors";
import { hasBody, readJsonObject } from "./json-body";
import { paramSource, type HttpMethod } from "./routes";

/*
 * Where an action's params come from. moleculer-web would merge the body, the query string and
 * the path into one object, query last, so a query parameter could override a body field (or
 * carry a password into the request log). Here each request takes them from the sources its
 * method declares: reads from the path and the query string, writes from the path and a JSON
 * body. Anything sent elsewhere is refused, not silently dropped, so a client learns at once.
 */

export interface RequestWithBody extends IncomingMessage {
	body?: Record<string, unknown>;
	query?: Record<string, unknown>;
}

/** A route middleware: reads the body of a write, refuses a body on a read and a query on a write. */
export async function readRequest(req: RequestWithBody, limitBytes: number): Promise<void> {
	const source = paramSource(req.method as HttpMethod);
	if (source === "query") {
		if (hasBody(req)) throw new BadRequestError("UNEXPECTED_BODY", `A ${req.method} request takes no body; send its parameters in the query string`);
		return;
	}
	if (req.query && Object.keys(req.query).length > 0) {
		throw new BadRequestError("UNEXPECTED_QUERY", `A ${req.method} request takes its parameters from the JSON body, not the query string`);
	}
	if (hasBody(req)) req.body = await readJsonObject(req, limitBytes);
}

export interface RequestParts {
	method: string;
	/** The parsed JSON object of a write, if it had a body. */
	body?: Record<string, unknown>;
	query?: Record<string, unknown>;
	path?: Record<string, unknown>;
	/** The action's params schema: whether a write needs a body at all. */
	schema?: Record<string, unknown>;
}

/** The params an action is called with, from the sources the request's method declares. */
export function assembleParams({ method, body, query, path = {}, schema = {} }: RequestParts): Record<string, unknown> {
	const fromPath = Object.keys(path);
	const source = paramSource(method as HttpMethod) === "query" ? (query ?? {}) : body;
	if (source === undefined) {
		const bodyFields = Object.keys(schema).filter((key) => !key.startsWith("$$") && !fromPath.includes(key));
		if (bodyFields.length > 0) throw new BadRequestError("BODY_REQUIRED", `A ${method} request here takes a JSON object body`);
	}
	const params: Record<string, unknown> = { ...source };
	for (const key of fromPath) {
		if (Object.prototype.hasOwnProperty.call(params, key)) {
			throw new BadRequestError("PARAM_CONFLICT", `'${key}' is given by the path and must not be sent again`, { field: key });
		}
		params[key] = path[key];
	}
	return params;
}
