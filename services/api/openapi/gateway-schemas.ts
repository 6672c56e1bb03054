import type { JsonSchema } from "./json-schema";
import { portablePattern } from "./portable-patterns";
import { closed, ref } from "./schema-parts";

/*
 * The gateway's own answers: api.health, the one error shape of every failure
 * (services/api/error-response.ts) with its VALIDATION_ERROR form, and this document itself.
 */

/** 200 when every service the shop needs is available, 503 (same shape) listing the missing ones. */
export const health = closed(
	{
		status: { enum: ["ok", "degraded"] },
		nodeID: { type: "string" },
		uptimeSeconds: { type: "integer", minimum: 0 },
		services: { type: "array", items: { type: "string" } },
		missing: { type: "array", items: { type: "string" }, minItems: 1 },
	},
	["missing"],
	{
		status: "ok",
		nodeID: "shop-node-1-4242",
		uptimeSeconds: 3600,
		services: ["api", "carts", "catalogue", "customers", "notifications", "orders", "payments", "shipping"],
	},
);

/** services/api/error-response.ts: one shape for every failure. */
export const error = closed(
	{
		error: closed(
			{
				type: {
					type: "string",
					pattern: portablePattern("^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$"),
					description: "What went wrong, for programs to branch on.",
				},
				message: { type: "string", description: "For people; not meant to be parsed." },
				code: { type: "integer", minimum: 400, maximum: 599, description: "The HTTP status." },
				data: { description: "Details for the client, depending on the type." },
			},
			["data"],
		),
	},
	[],
	{ error: { type: "PRODUCT_NOT_FOUND", message: "Product 3f1c2b9e-8a4d-4c1e-9f7a-2b6d5e8c1a90 not found", code: 404 } },
);

/** A 422 VALIDATION_ERROR: the error shape, with the failed checks as its data. */
export const validationError: JsonSchema = {
	allOf: [ref("Error")],
	type: "object",
	properties: {
		error: {
			type: "object",
			properties: {
				type: { const: "VALIDATION_ERROR" },
				code: { const: 422 },
				data: {
					type: "array",
					minItems: 1,
					items: closed({
						field: { type: "string", description: "The path of the value, e.g. items[0].qty." },
						type: { type: "string", description: "The validator's rule that failed, e.g. stringMin." },
						message: { type: "string" },
					}),
				},
			},
			required: ["data"],
		},
	},
	example: {
		error: {
			type: "VALIDATION_ERROR",
			message: "Parameters validation error!",
			code: 422,
			data: [{ field: "priceCents", type: "numberMin", message: "The 'priceCents' field must be greater than or equal to 0." }],
		},
	},
};

/** GET /openapi.json: described only as far as a client needs to recognise it. */
export const openApiDocument: JsonSchema = {
	type: "object",
	description: "An OpenAPI 3.1 document (this one).",
	required: ["openapi", "info", "paths"],
	properties: { openapi: { type: "string", pattern: "^3\\.1\\." }, info: { type: "object" }, paths: { type: "object" } },
	example: { openapi: "3.1.0", info: { title: "Shop API", version: "0.1.0" }, paths: {} },
};
