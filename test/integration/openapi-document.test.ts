import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import Validator from "fastest-validator";
import { Utils } from "moleculer";
import { ShopValidator } from "../../lib/validator";
import { PUBLIC_ROUTES, paramSource, pathParams } from "../../services/api/routes";
import { buildOpenApiDocument, MissingActionsError, openApiPath, type OpenApiDocument, type Operation } from "../../services/api/openapi/document";
import type { JsonSchema } from "../../services/api/openapi/json-schema";
import { REQUEST_EXAMPLES } from "../../services/api/openapi/schemas";
import { shopActions } from "../../scripts/web/openapi";

/*
 * The document built from the real route table and the real actions, as the gateway builds it
 * from the registry: the actions' definitions pass through Moleculer's JSON first, as they do between nodes.
 */

const ACTIONS = shopActions();
/**
 * What another node learns of the actions: each one's definition as Moleculer sends it (its
 * safetyObject, which also drops an object met a second time within the action's params).
 */
const REMOTE_ACTIONS = Object.fromEntries(Object.entries(ACTIONS).map(([name, action]) => [name, Utils.safetyObject(action, {})])) as typeof ACTIONS;
const doc = buildOpenApiDocument({ routes: PUBLIC_ROUTES, actions: REMOTE_ACTIONS, info: { version: "1.2.3" } });

function op(method: string, route: string): Operation {
	const found = doc.paths[route]?.[method.toLowerCase()];
	if (!found) throw new Error(`${method} ${route} is not in the document`);
	return found;
}

function bodySchema(operation: Operation): JsonSchema {
	return operation.requestBody!.content["application/json"]!.schema;
}

function queryParam(operation: Operation, name: string): Record<string, unknown> | undefined {
	return operation.parameters.find((parameter) => parameter.in === "query" && parameter.name === name);
}

/** ajv over the whole document, so `#/components/...` references resolve. */
function documentAjv(document: OpenApiDocument): Ajv2020 {
	const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
	addFormats(ajv);
	ajv.addVocabulary(["openapi", "info", "servers", "tags", "paths", "components", "example"]);
	ajv.addSchema(document as unknown as JsonSchema, "openapi");
	return ajv;
}

describe("the OpenAPI document", () => {
	it("lists every route of the table and nothing else", () => {
		const documented = Object.entries(doc.paths).flatMap(([route, operations]) =>
			Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`),
		);
		expect(documented.sort()).toEqual(PUBLIC_ROUTES.map((route) => `${route.method} ${openApiPath(route.path)}`).sort());
		expect(doc.servers).toEqual([{ url: "/api" }]);
		expect(doc.info.version).toBe("1.2.3");
	});

	it("is valid OpenAPI 3.1 by the meta-schema", () => {
		const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "openapi-")), "openapi.json");
		fs.writeFileSync(file, JSON.stringify(doc));
		// The validator is an ES module; jest runs CommonJS, so it runs as its own command.
		const cli = require.resolve("@seriousme/openapi-schema-validator/bin/validate-api-cli.js");
		const run = spawnSync(process.execPath, [cli, file], { encoding: "utf8" });
		expect(JSON.parse(run.stdout)).toEqual({ valid: true });
		fs.rmSync(path.dirname(file), { recursive: true });
	});

	it("has schemas that are valid JSON Schema 2020-12, each example valid by its schema", () => {
		const ajv = documentAjv(doc);
		for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, JsonSchema>)) {
			const check = ajv.getSchema(`openapi#/components/schemas/${name}`)!;
			expect({ name, errors: check(schema.example) ? null : check.errors }).toEqual({ name, errors: null });
		}
	});

	it("has only valid JSON Schema 2020-12 in its operations (parameters, bodies, responses)", () => {
		const ajv = documentAjv(doc);
		const schemas: JsonSchema[] = [];
		for (const operation of Object.values(doc.paths).flatMap((operations) => Object.values(operations))) {
			for (const parameter of operation.parameters) if (parameter.schema) schemas.push(parameter.schema as JsonSchema);
			if (operation.requestBody) schemas.push(bodySchema(operation));
			for (const response of Object.values(operation.responses)) {
				const content = response.content as Record<string, { schema: JsonSchema }> | undefined;
				if (content) schemas.push(...Object.values(content).map((media) => media.schema));
			}
		}
		expect(schemas.length).toBeGreaterThan(50);
		// An operation's own schemas refer into the document, which ajv knows as "openapi".
		const inDocument = (schema: JsonSchema) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as JsonSchema;
		for (const schema of schemas) expect(() => ajv.compile(inDocument(schema))).not.toThrow();
	});

	it("has an example for every request body, valid by the body's schema", () => {
		const ajv = documentAjv(doc);
		for (const route of PUBLIC_ROUTES) {
			const content = op(route.method, openApiPath(route.path)).requestBody?.content["application/json"];
			if (!content) continue;
			expect({ action: route.action, example: content.example === REQUEST_EXAMPLES[route.action] }).toEqual({ action: route.action, example: true });
			const check = ajv.compile(content.schema);
			expect({ action: route.action, errors: check(content.example) ? null : check.errors }).toEqual({ action: route.action, errors: null });
		}
	});

	it("gives every operation a unique operationId, X-Request-Id on success and the errors any request may meet", () => {
		const operations = Object.values(doc.paths).flatMap((operations) => Object.values(operations));
		expect(new Set(operations.map((operation) => operation.operationId)).size).toBe(PUBLIC_ROUTES.length);
		for (const operation of operations) {
			const success = Object.keys(operation.responses).filter((status) => status.startsWith("2"));
			expect(success).toHaveLength(1);
			expect(operation.responses[success[0]!]!.headers).toHaveProperty("X-Request-Id");
			for (const status of ["400", "422", "429", "503", "504"])
				expect([operation.operationId, status, operation.responses[status] !== undefined]).toEqual([operation.operationId, status, true]);
		}
	});

	it("documents POST /orders: its body's limits, its refusals and links to the created order", () => {
		const create = op("POST", "/orders");
		expect(create.operationId).toBe("ordersCreate");
		expect(create.security).toEqual([{ bearerAuth: [] }]);
		expect(create.requestBody!.required).toBe(true);
		const body = bodySchema(create) as { properties: Record<string, JsonSchema>; required: string[]; additionalProperties: boolean };
		expect(body.required).toEqual(["items", "shippingAddress"]);
		expect(body.additionalProperties).toBe(false);
		expect(body.properties.items).toMatchObject({
			type: "array",
			minItems: 1,
			maxItems: 50,
			items: {
				type: "object",
				required: ["productId", "qty"],
				additionalProperties: false,
				properties: { qty: { type: "integer", minimum: 1, maximum: 100 } },
			},
		});
		expect(body.properties.shippingAddress).toMatchObject({ required: ["name", "line1", "city", "postalCode", "country"], additionalProperties: false });
		expect(body.properties.paymentMethod).toEqual({ type: "string", pattern: "^tok_[a-z0-9_]{1,40}(?![\\s\\S])" });

		const created = create.responses["201"]!;
		expect(created.headers).toHaveProperty("Location");
		expect(created.links).toEqual({
			apiOrderEvents: {
				operationId: "apiOrderEvents",
				parameters: { id: "$response.body#/id" },
				description: "GET /orders/{id}/events with the id of what was created.",
			},
			ordersGet: { operationId: "ordersGet", parameters: { id: "$response.body#/id" }, description: "GET /orders/{id} with the id of what was created." },
			ordersCancel: {
				operationId: "ordersCancel",
				parameters: { id: "$response.body#/id" },
				description: "POST /orders/{id}/cancel with the id of what was created.",
			},
			ordersRequestReturn: {
				operationId: "ordersRequestReturn",
				parameters: { id: "$response.body#/id" },
				description: "POST /orders/{id}/returns with the id of what was created.",
			},
		});
		expect(JSON.stringify(create.responses["422"])).toContain(
			'"enum":["UNKNOWN_PRODUCT_IN_ORDER","MIXED_CURRENCIES","LINE_QTY_TOO_LARGE","IDEMPOTENCY_KEY_REUSED","NO_SHIPPING_OPTION","UNKNOWN_SHIPPING_OPTION"]',
		);
		expect(JSON.stringify(create.responses["409"])).toContain('"enum":["IDEMPOTENCY_KEY_BUSY","SHIPPING_OPTION_UNAVAILABLE","SHIPPING_PRICE_CHANGED"]');
		expect(Object.keys(create.responses).sort()).toEqual(["201", "400", "401", "409", "413", "415", "422", "429", "503", "504"]);
	});

	it("documents the Idempotency-Key header on the routes that take one, and only there", () => {
		const takers = Object.entries(doc.paths).flatMap(([path, operations]) =>
			Object.entries(operations)
				.filter(([, operation]) => operation.parameters.some((p) => (p as { $ref?: string }).$ref === "#/components/parameters/IdempotencyKey"))
				.map(([method]) => `${method.toUpperCase()} ${path}`),
		);
		expect(takers).toContain("POST /orders");
		expect(takers.every((route) => route.startsWith("POST "))).toBe(true);
		expect(doc.components.parameters!.IdempotencyKey).toMatchObject({ name: "Idempotency-Key", in: "header", required: false, schema: { maxLength: 255 } });
		expect(op("POST", "/orders").responses["201"]!.headers).toHaveProperty("Idempotent-Replayed");
	});

	it("documents GET /products: paging, filters and sorting in the query, a token optional", () => {
		const list = op("GET", "/products");
		expect(list.requestBody).toBeUndefined();
		expect(list.security).toEqual([{}, { bearerAuth: [] }]);
		expect(queryParam(list, "page")).toEqual({ name: "page", in: "query", required: false, schema: { type: "integer", exclusiveMinimum: 0 } });
		expect(queryParam(list, "pageSize")).toEqual({ name: "pageSize", in: "query", required: false, schema: { type: "integer", exclusiveMinimum: 0 } });
		expect(queryParam(list, "sort")).toEqual({ name: "sort", in: "query", required: false, schema: { enum: ["price", "-price", "name", "-name"] } });
		expect(queryParam(list, "category")).toMatchObject({ required: false, schema: { type: "string" } });
		expect(queryParam(list, "q")).toMatchObject({ required: false, schema: { type: "string" } });
		expect(list.responses["200"]!.content).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/ProductPage" } } });
		expect(list.responses).toHaveProperty("401");
		expect(list.responses).not.toHaveProperty("403");
		expect(list.responses).not.toHaveProperty("404");
	});

	it("documents the admin's operations as needing a token with the admin role", () => {
		const create = op("POST", "/products");
		expect(create.security).toEqual([{ bearerAuth: [] }]);
		expect(create["x-roles"]).toEqual(["admin"]);
		expect(create.description).toMatch(/admin role/);
		expect(create.responses).toHaveProperty("403");
		expect(JSON.stringify(create.responses["409"])).toContain('"enum":["SKU_TAKEN"]');
		expect(create.responses["201"]!.links).toMatchObject({ catalogueGet: {}, catalogueUpdate: {}, catalogueDeactivate: {} });
		for (const [method, route] of [
			["GET", "/customers"],
			["PATCH", "/products/{id}"],
			["POST", "/products/{id}/deactivate"],
			["GET", "/admin/orders"],
			["GET", "/admin/orders/{id}/timeline"],
			["GET", "/admin/orders/stats"],
			["GET", "/admin/dead-letters/notifications"],
			["POST", "/admin/dead-letters/payments/redrive"],
		] as const) {
			expect(op(method, route)["x-roles"]).toEqual(["admin"]);
		}
		expect(op("GET", "/orders")["x-roles"]).toBeUndefined();
	});

	it("takes path parameters from the path only: PATCH /products/{id}", () => {
		const update = op("PATCH", "/products/{id}");
		const id = update.parameters.find((parameter) => parameter.in === "path");
		expect(id).toMatchObject({ name: "id", required: true, schema: { type: "string" } });
		expect((id!.schema as JsonSchema).pattern).toMatch(/\{0,62\}/);
		const body = bodySchema(update) as { properties: Record<string, unknown>; required?: string[] };
		expect(Object.keys(body.properties).sort()).toEqual([
			"active",
			"category",
			"currency",
			"description",
			"expectedStock",
			"name",
			"priceCents",
			"sku",
			"stock",
			"weightGrams",
		]);
		expect(body.required).toBeUndefined();
		expect(update.requestBody!.required).toBe(true);
		expect(update.responses).toHaveProperty("404");
		expect(JSON.stringify(update.responses["409"])).toContain('"enum":["SKU_TAKEN","STOCK_CHANGED_CONCURRENTLY","STOCK_NOT_AS_EXPECTED"]');
	});

	it("documents PUT /cart/items/{productId}: the product from the path, the quantity from the body, its refusals", () => {
		const put = op("PUT", "/cart/items/{productId}");
		expect(put.operationId).toBe("cartsSetItem");
		expect(put.security).toEqual([{ bearerAuth: [] }]);
		expect(put.parameters.find((parameter) => parameter.in === "path")).toMatchObject({ name: "productId", required: true });
		expect(put.parameters.filter((parameter) => parameter.in === "query")).toEqual([]);
		expect(bodySchema(put)).toMatchObject({
			required: ["qty"],
			additionalProperties: false,
			properties: { qty: { type: "integer", minimum: 0, maximum: 100 } },
		});
		expect(put.responses["200"]!.content).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/Cart" } } });
		expect(JSON.stringify(put.responses["409"])).toContain('"enum":["CART_FULL","CART_CHANGED_CONCURRENTLY"]');
		expect(Object.keys(put.responses).sort()).toEqual(["200", "400", "401", "404", "409", "413", "415", "422", "429", "503", "504"]);
	});

	it("documents POST /cart/checkout as placing an order (201 with its Location) and the refusals that name a line", () => {
		const checkout = op("POST", "/cart/checkout");
		expect(bodySchema(checkout)).toMatchObject({ required: ["shippingAddress"], additionalProperties: false });
		expect(checkout.responses["201"]!.headers).toHaveProperty("Location");
		expect(checkout.responses["201"]!.content).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/Order" } } });
		expect(JSON.stringify(checkout.responses["409"])).toContain(
			'"enum":["CART_EMPTY","CART_LINE_UNAVAILABLE","CART_STOCK_SHORT","IDEMPOTENCY_KEY_BUSY","SHIPPING_OPTION_UNAVAILABLE","SHIPPING_PRICE_CHANGED"]',
		);
		expect(op("DELETE", "/cart/items/{productId}").requestBody).toBeUndefined();
		expect(op("GET", "/cart").responses).not.toHaveProperty("404");
	});

	it("gives a write that takes nothing beyond the path no body: POST /orders/{id}/cancel", () => {
		const cancel = op("POST", "/orders/{id}/cancel");
		expect(cancel.requestBody).toBeUndefined();
		expect(Object.keys(cancel.responses).sort()).toEqual(["200", "400", "401", "404", "409", "413", "415", "422", "429", "503", "504"]);
	});

	it("documents the auth routes as anonymous and rate-limited", () => {
		for (const route of ["/auth/register", "/auth/login"]) {
			const operation = op("POST", route);
			expect(operation.security).toEqual([]);
			expect(operation.responses["429"]!.headers).toHaveProperty("X-Rate-Limit-Reset");
			expect(operation.responses).not.toHaveProperty("403");
		}
		expect(op("POST", "/auth/register").responses).not.toHaveProperty("401");
		expect(op("POST", "/auth/register").responses["201"]!.links).toBeUndefined();
		expect(op("POST", "/auth/login").responses["401"]!.description).toMatch(/INVALID_CREDENTIALS/);
		expect(bodySchema(op("POST", "/auth/register"))).toMatchObject({ required: ["email", "password", "name"], additionalProperties: false });
	});

	it("answers GET /health's 503 with the Health schema, and documents GET /me's empty params", () => {
		const health = op("GET", "/health");
		expect(health.responses["503"]!.content).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/Health" } } });
		expect(health.parameters.filter((parameter) => parameter.in === "query")).toEqual([]);
		expect(op("GET", "/me").security).toEqual([{ bearerAuth: [] }]);
		expect(op("GET", "/payments").responses).toHaveProperty("404");
	});

	it("refuses to describe a route whose action no node offers", () => {
		const { "orders.create": _, ...rest } = REMOTE_ACTIONS;
		expect(() => buildOpenApiDocument({ routes: PUBLIC_ROUTES, actions: rest, info: { version: "1" } })).toThrow(MissingActionsError);
	});
});

describe("the actions' params", () => {
	it("survive JSON unchanged, as they must to reach the gateway from another node", () => {
		for (const [name, action] of Object.entries(ACTIONS)) {
			expect({ name, params: JSON.parse(JSON.stringify(action.params)) }).toEqual({ name, params: action.params });
		}
		expect(buildOpenApiDocument({ routes: PUBLIC_ROUTES, actions: ACTIONS, info: { version: "1.2.3" } })).toEqual(doc);
	});

	it("match as the RegExp patterns they replaced did, anchors included", () => {
		const fastest = new Validator({ useNewCustomCheckerFunction: true });
		const createOrder = ACTIONS["orders.create"]!.params as { shippingAddress: { props: Record<string, unknown> }; paymentMethod: unknown };
		const createProduct = ACTIONS["catalogue.create"]!.params!;
		const pairs: [unknown, RegExp, string[]][] = [
			[createOrder.paymentMethod, /^tok_[a-z0-9_]{1,40}$/, ["tok_visa", "tok_", "xtok_visa", "tok_visa\n", "tok_VISA", `tok_${"a".repeat(41)}`]],
			[createOrder.shippingAddress.props.country, /^[A-Za-z]{2}$/, ["GB", "gb", "GBR", "G", "G1", "GB\n", "\nGB"]],
			[createProduct.sku, /^[A-Za-z0-9._-]+$/, ["BOOK-1", " BOOK-1 ", "BOOK 1", "BOOK/1", "a\nb"]],
			[createProduct.category, /^[A-Za-z0-9 _-]+$/, ["books", "home office", " books ", "books!", "a\nb"]],
			[createProduct.currency, /^[A-Za-z]{3}$/, ["EUR", "eur", "EU", "EURO", "EU1", "EUR\n"]],
			[
				(ACTIONS["catalogue.reserve"]!.params as { orderId: unknown }).orderId,
				/^[A-Za-z0-9_-]{1,64}$/,
				["order-1", "order.1", "", "a".repeat(65), "a\n"],
			],
		];
		for (const [rule, regExp, values] of pairs) {
			expect(typeof (rule as { pattern: unknown }).pattern).toBe("string");
			const now = fastest.compile({ v: rule as never });
			const before = fastest.compile({ v: { ...(rule as object), pattern: regExp } as never });
			for (const v of values) expect({ v, valid: now({ v }) === true }).toEqual({ v, valid: before({ v }) === true });
		}
	});
});

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

describe("agreement of the document with fastest-validator on the real actions", () => {
	const rnd = random(20240601);
	const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
	const CHARS = ["a", "Z", "0", "9", ".", "-", "_", " ", "@", "é", "\t", "\n", "\u00a0", "\u2028", "\u001c", "/", "tok_"];
	const LENGTHS = [0, 1, 2, 3, 4, 5, 8, 19, 20, 21, 39, 40, 41, 63, 64, 65, 99, 100, 101, 199, 200, 201, 254, 255];
	const text = (): string => {
		if (rnd() < 0.15) return `${pick(["", " ", "\t"])}${pick(["ada", "A.B", "x"])}@${pick(["example", "b"])}.${pick(["com", "c"])}${pick(["", " ", "\n"])}`;
		if (rnd() < 0.1) return pick(["GB", "gb", "EUR", "tok_visa", "tok_", "BOOK-1", "home office", "price", "-name", "PENDING"]);
		const one = pick(CHARS);
		return Array.from({ length: pick(LENGTHS) }, () => (rnd() < 0.7 ? one : pick(CHARS))).join("");
	};
	const value = (): unknown =>
		pick([
			text,
			text,
			text,
			() => pick([-1, 0, 1, 1.5, 2, 50, 51, 99, 100, 101, 10_000, 10_001, 100_000_000, 100_000_001, 1e300]),
			() => pick([null, true, false, [], {}]),
		])();

	/** Replaces, removes or adds one thing somewhere in a JSON value. */
	function mutate(input: unknown): unknown {
		if (Array.isArray(input)) {
			const copy = [...input];
			const roll = rnd();
			if (roll < 0.2) copy.push(rnd() < 0.5 ? structuredClone(copy[0]) : value());
			else if (roll < 0.3) copy.pop();
			else if (copy.length > 0) {
				const at = Math.floor(rnd() * copy.length);
				copy[at] = mutate(copy[at]);
			}
			return copy;
		}
		if (typeof input === "object" && input !== null) {
			const copy: Record<string, unknown> = { ...input };
			const keys = Object.keys(copy);
			const roll = rnd();
			if (roll < 0.1) copy[pick(["zz", "id", "role"])] = value();
			else if (roll < 0.25 && keys.length > 0) delete copy[pick(keys)];
			else if (keys.length > 0) {
				const key = pick(keys);
				copy[key] = rnd() < 0.6 ? value() : mutate(copy[key]);
			}
			return copy;
		}
		return value();
	}

	// The broker's own validator: the document must agree with what the actions really accept.
	const fastest = new ShopValidator() as unknown as { compile(schema: unknown): (value: unknown) => true | unknown[] };
	const ajv = documentAjv(doc);

	const writes = PUBLIC_ROUTES.filter((route) => paramSource(route.method) === "body" && REQUEST_EXAMPLES[route.action]);
	it.each(writes.map((route) => ({ name: `${route.method} ${route.path}`, route })))("agrees on bodies of $name", ({ route }) => {
		const { properties, required, additionalProperties } = bodySchema(op(route.method, openApiPath(route.path))) as JsonSchema;
		const check = ajv.compile({ type: "object", properties, required, additionalProperties });
		const params = Object.fromEntries(Object.entries(ACTIONS[route.action]!.params!).filter(([name]) => !pathParams(route.path).includes(name)));
		const fv = fastest.compile(structuredClone(params));
		let accepted = 0;
		for (let i = 0; i < 3000; i++) {
			let body: unknown = REQUEST_EXAMPLES[route.action];
			for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) body = mutate(body);
			const byValidator = fv(structuredClone(body)) === true;
			expect({ body, valid: check(body) }).toEqual({ body, valid: byValidator });
			if (byValidator) accepted++;
		}
		// Both outcomes must be well represented for the agreement to mean something.
		expect(accepted).toBeGreaterThan(50);
	});

	const reads = PUBLIC_ROUTES.filter((route) => paramSource(route.method) === "query");
	it.each(reads.map((route) => ({ name: `${route.method} ${route.path}`, route })))("agrees on the query and path of $name", ({ route }) => {
		const operation = op(route.method, openApiPath(route.path));
		const parameters = operation.parameters.filter((parameter) => parameter.in === "query" || parameter.in === "path") as {
			name: string;
			required: boolean;
			schema: JsonSchema;
		}[];
		const check = ajv.compile({
			type: "object",
			properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema])),
			required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
			additionalProperties: false,
		});
		const fv = fastest.compile(structuredClone(ACTIONS[route.action]!.params!));
		const integers = new Set(parameters.filter((parameter) => parameter.schema.type === "integer").map((parameter) => parameter.name));
		for (let i = 0; i < 1000; i++) {
			// Query values are text; an OpenAPI client writes an integer in decimal digits.
			const query: Record<string, string> = {};
			for (const { name, required } of parameters) {
				if (!required && rnd() < 0.3) continue;
				query[name] = integers.has(name) ? pick(["-1", "0", "1", "2", "20", "100", "101", "1.5", "abc", ""]) : text();
			}
			if (rnd() < 0.1) query.zz = "1";
			const typed = Object.fromEntries(Object.entries(query).map(([name, v]) => [name, integers.has(name) && /^-?\d+$/.test(v) ? Number(v) : v]));
			expect({ query, valid: check(typed) }).toEqual({ query, valid: fv(structuredClone(query)) === true });
		}
	});
});
