import { PUBLIC_ROUTES, type PublicRoute } from "../routes";
import { buildOpenApiDocument, openApiPath } from "./document";
import { resolveRef } from "../../../test/helpers/openapi-refs";

/*
 * The headers each answer of the document declares, operation by operation, against what the
 * gateway sends with each status (responses.ts has the table). The headers depend on the route
 * alone, so stand-in actions do: each with params and the admin role, so every kind of answer
 * (403 and 422 included) is documented.
 */

const STAND_IN = { params: { $$strict: true }, auth: "admin" as const };
const doc = buildOpenApiDocument({
	routes: PUBLIC_ROUTES,
	actions: Object.fromEntries(PUBLIC_ROUTES.map((route) => [route.action, STAND_IN])),
	info: { version: "0.0.0" },
});

type Header = { required?: boolean };

const resolve = <T>(value: unknown): T => resolveRef<T>(doc, value);

/** Each answer of an operation with its headers, references followed. */
function answersOf(method: string, path: string): { status: string; headers: Record<string, Header> }[] {
	const operation = doc.paths[path]![method.toLowerCase()]!;
	return Object.entries(operation.responses).map(([status, response]) => {
		const headers = resolve<{ headers?: Record<string, unknown> }>(response).headers ?? {};
		return { status, headers: Object.fromEntries(Object.entries(headers).map(([name, header]) => [name, resolve<Header>(header)])) };
	});
}

/** The headers the gateway can send with an answer of an operation (responses.ts explains each). */
function mayCarry(route: PublicRoute, status: string): string[] {
	const headers = ["X-Request-Id"];
	const success = status === String(route.success);
	if (route.group === "auth" && status !== "413" && status !== "415") headers.push("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset");
	if (status === "201") headers.push("Location");
	if (success && route.idempotencyKey) headers.push("Idempotent-Replayed");
	return headers;
}

const OPERATIONS = PUBLIC_ROUTES.map((route) => ({ name: `${route.method} ${openApiPath(route.path)}`, route }));

describe("the headers each documented answer declares", () => {
	it("covers every route of the table", () => {
		const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
			Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
		);
		expect(documented.sort()).toEqual(OPERATIONS.map((operation) => operation.name).sort());
	});

	it.each(OPERATIONS)("$name requires Location on its 201 alone", ({ route }) => {
		const requiringLocation = answersOf(route.method, openApiPath(route.path))
			.filter((answer) => answer.headers.Location?.required === true)
			.map((answer) => answer.status);
		expect(requiringLocation).toEqual(route.success === 201 ? ["201"] : []);
	});

	it.each(OPERATIONS)("$name declares, on each answer, only headers the gateway sends with that status", ({ route }) => {
		const extra = answersOf(route.method, openApiPath(route.path)).flatMap(({ status, headers }) =>
			Object.keys(headers)
				.filter((name) => !mayCarry(route, status).includes(name))
				.map((name) => `${status} ${name}`),
		);
		expect(extra).toEqual([]);
	});

	it.each(OPERATIONS)("$name declares X-Request-Id, required, on every answer", ({ route }) => {
		const without = answersOf(route.method, openApiPath(route.path))
			.filter((answer) => answer.headers["X-Request-Id"]?.required !== true)
			.map((answer) => answer.status);
		expect(without).toEqual([]);
	});
});
