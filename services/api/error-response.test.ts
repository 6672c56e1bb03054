import { Errors } from "moleculer";
import { ConflictError, ForbiddenError, NotFoundError, StoreUnavailableError, UnauthorizedError, UnprocessableError } from "../../lib/errors";
import { errorResponse } from "./error-response";

// moleculer-web ships no type declarations for its error classes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const WebErrors = require("moleculer-web").Errors as { RateLimitExceeded: new () => Error };

/** The response for an error answered with this status, type and message: the body's code is always the status. */
function answer(status: number, type: string, message: string, data?: unknown) {
	return { status, body: { error: { type, message, code: status, ...(data === undefined ? {} : { data }) } } };
}

/** What every internal failure is answered with, whatever it said. */
const INTERNAL_ERROR = answer(500, "INTERNAL_ERROR", "Something went wrong");

/** The message of a 503, which names no service. */
const UNAVAILABLE = "A service needed for this request is unavailable; try again shortly";

describe("errorResponse", () => {
	it("answers a moleculer ValidationError with 422 and the validation details", () => {
		const details = [{ type: "required", field: "name", message: "The 'name' field is required." }];
		expect(errorResponse(new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", details))).toEqual(
			answer(422, "VALIDATION_ERROR", "Parameters validation error!", details),
		);
	});

	it("gives a validation failure's field, rule and message only: no node, action or client value", () => {
		const details = [
			{
				type: "email",
				field: "email",
				message: "The 'email' field must be a valid e-mail.",
				actual: { a: { b: 1 } },
				nodeID: "node-7",
				action: "customers.register",
			},
			{
				type: "objectStrict",
				field: "",
				message: `The object '' contains forbidden keys: '${"k".repeat(5000)}'.`,
				actual: "k".repeat(5000),
				nodeID: "node-7",
				action: "customers.register",
			},
		];
		const { status, body } = errorResponse(new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", details));
		expect(status).toBe(422);
		const items = body.error.data as Record<string, string>[];
		expect(items[0]).toEqual({ type: "email", field: "email", message: "The 'email' field must be a valid e-mail." });
		expect(Object.keys(items[1]!).sort()).toEqual(["field", "message", "type"]);
		expect(items[1]!.message.length).toBeLessThanOrEqual(200);
		expect(JSON.stringify(body)).not.toMatch(/node-7|customers\.register/);
	});

	it("lists at most 20 validation failures", () => {
		const details = Array.from({ length: 500 }, (_, i) => ({ type: "required", field: `f${i}`, message: "required" }));
		const { body } = errorResponse(new Errors.ValidationError("Parameters validation error!", "VALIDATION_ERROR", details));
		expect(body.error.data).toHaveLength(20);
	});

	it("drops data that is deeply nested, cyclic or large instead of throwing", () => {
		let deep: unknown = 1;
		for (let i = 0; i < 100_000; i++) deep = { a: deep };
		const cyclic: Record<string, unknown> = {};
		cyclic.self = cyclic;
		for (const data of [deep, cyclic, { blob: "x".repeat(10_000) }]) {
			const { status, body } = errorResponse(new ConflictError("SKU_TAKEN", "taken", data));
			expect(status).toBe(409);
			expect(body.error).toEqual({ type: "SKU_TAKEN", message: "taken", code: 409 });
		}
	});

	it("cuts a long client error message", () => {
		const { body } = errorResponse(new NotFoundError("ORDER_NOT_FOUND", `Order ${"9".repeat(10_000)} not found`));
		expect(body.error.message.length).toBeLessThanOrEqual(200);
	});

	it("answers 500 rather than throwing for an error whose properties throw", () => {
		const hostile = new Proxy(
			{},
			{
				get: () => {
					throw new Error("boom");
				},
			},
		);
		expect(errorResponse(hostile)).toEqual(INTERNAL_ERROR);
	});

	it("answers a ServiceNotFoundError (a service called on the way has no live node) with 503 that names no service", () => {
		const response = errorResponse(new Errors.ServiceNotFoundError({ action: "secret.internalAction", nodeID: "node-7" }));
		expect(response).toEqual(answer(503, "SERVICE_UNAVAILABLE", UNAVAILABLE));
		expect(response.body.error).not.toHaveProperty("data");
		expect(JSON.stringify(response)).not.toContain("secret.internalAction");
	});

	it("answers a 404 without a type as NOT_FOUND", () => {
		expect(errorResponse({ status: 404, message: "Cannot GET /nowhere" })).toEqual(answer(404, "NOT_FOUND", "Not found"));
	});

	it("keeps the type, message and data of a domain NotFoundError", () => {
		expect(errorResponse(new NotFoundError("PRODUCT_NOT_FOUND", "No product p1", { id: "p1" }))).toEqual(
			answer(404, "PRODUCT_NOT_FOUND", "No product p1", { id: "p1" }),
		);
	});

	it("leaves data out when a client error has none", () => {
		const response = errorResponse(new NotFoundError("CUSTOMER_NOT_FOUND", "No such customer"));
		expect(response.body.error).toEqual({ type: "CUSTOMER_NOT_FOUND", message: "No such customer", code: 404 });
		expect(response.body.error).not.toHaveProperty("data");
	});

	it("answers a plain Error with 500 INTERNAL_ERROR without its message", () => {
		const response = errorResponse(new Error("connect ECONNREFUSED 10.0.0.5:27017"));
		expect(response).toEqual(INTERNAL_ERROR);
		expect(JSON.stringify(response)).not.toContain("ECONNREFUSED");
	});

	it("answers an error with a non-HTTP string code as 500", () => {
		const err = Object.assign(new Error("boom"), { code: "ECONNRESET" });
		expect(errorResponse(err).status).toBe(500);
		expect(errorResponse(err).body.error.type).toBe("INTERNAL_ERROR");
	});

	it("answers a moleculer 500 error without its message or data", () => {
		const err = new Errors.MoleculerServerError("Database password is hunter2", 500, "DB_FAILED", { host: "db" });
		expect(errorResponse(err)).toEqual(INTERNAL_ERROR);
	});

	it("answers a 5xx error without a type as 500 INTERNAL_ERROR", () => {
		expect(errorResponse({ status: 502, message: "upstream said no" })).toEqual(INTERNAL_ERROR);
	});

	it("keeps the status and type of a typed 5xx error but replaces its message and drops its data", () => {
		const response = errorResponse(new StoreUnavailableError("catalogue", new Error("socket hang up")));
		expect(response).toEqual(answer(503, "STORE_UNAVAILABLE", UNAVAILABLE));
		expect(JSON.stringify(response)).not.toContain("socket hang up");
	});

	it.each([
		["UnauthorizedError", new UnauthorizedError("TOKEN_EXPIRED", "The token has expired"), 401, "TOKEN_EXPIRED"],
		["ForbiddenError", new ForbiddenError("ROLE_FORBIDDEN", "Admins only"), 403, "ROLE_FORBIDDEN"],
		["NotFoundError", new NotFoundError("RESERVATION_NOT_FOUND", "No reservation"), 404, "RESERVATION_NOT_FOUND"],
		["ConflictError", new ConflictError("SKU_TAKEN", "SKU in use"), 409, "SKU_TAKEN"],
		["UnprocessableError", new UnprocessableError("UNKNOWN_PRODUCT_IN_ORDER", "Unknown product"), 422, "UNKNOWN_PRODUCT_IN_ORDER"],
	])("answers a %s with %p and its own type", (_name, err, status, type) => {
		const response = errorResponse(err);
		expect(response.status).toBe(status);
		expect(response.body.error.code).toBe(status);
		expect(response.body.error.type).toBe(type);
		expect(response.body.error.message).toBe(err.message);
	});

	it("passes the data of a conflict through", () => {
		const response = errorResponse(new ConflictError("EMAIL_TAKEN", "Email in use", { email: "a@b.c" }));
		expect(response.body.error.data).toEqual({ email: "a@b.c" });
	});

	it("answers moleculer-web's RateLimitExceeded with 429", () => {
		const response = errorResponse(new WebErrors.RateLimitExceeded());
		expect(response).toEqual(answer(429, "RATE_LIMIT_EXCEEDED", "Rate limit exceeded"));
	});

	it.each([
		["a string", "oops"],
		["null", null],
		["undefined", undefined],
		["a number", 42],
	])("answers %s thrown as an error with 500 INTERNAL_ERROR", (_label, thrown) => {
		expect(errorResponse(thrown)).toEqual(INTERNAL_ERROR);
	});

	it("ignores numeric codes outside the HTTP error range", () => {
		expect(errorResponse({ code: 200, status: 409, type: "SKU_TAKEN", message: "taken" })).toEqual(answer(409, "SKU_TAKEN", "taken"));
	});

	it("names an untyped error after its status", () => {
		expect(errorResponse({ status: 400 })).toEqual(answer(400, "BAD_REQUEST", "Request failed"));
		expect(errorResponse({ status: 409, message: "Already there" }).body.error.type).toBe("CONFLICT");
		expect(errorResponse({ statusCode: 503, message: "connect ECONNREFUSED 10.0.0.5:27017" })).toEqual(answer(503, "SERVICE_UNAVAILABLE", UNAVAILABLE));
	});

	it("falls back to a generic type and message for an untyped client error with an unusual status", () => {
		expect(errorResponse({ status: 418 })).toEqual(answer(418, "ERROR", "Request failed"));
	});

	it("answers 503 without internals when a known service has no live instance", () => {
		const response = errorResponse(new Errors.ServiceNotAvailableError({ action: "catalogue.reserve", nodeID: "node-7" }));
		expect(response.status).toBe(503);
		expect(response.body.error.type).toBe("SERVICE_UNAVAILABLE");
		expect(JSON.stringify(response.body)).not.toMatch(/catalogue|node-7/);
	});

	it("does not leak the action or node of a timed-out call", () => {
		const response = errorResponse(new Errors.RequestTimeoutError({ action: "catalogue.reserve", nodeID: "node-7" }));
		expect(response.status).toBe(504);
		expect(JSON.stringify(response.body)).not.toMatch(/catalogue|node-7/);
	});
});
