import Ajv2020 from "ajv/dist/2020";
import Validator from "fastest-validator";
import { paramsToJsonSchema, ruleToJsonSchema, UnsupportedRuleError, type JsonSchema } from "./json-schema";
import { portablePattern } from "./portable-patterns";

/*
 * Two kinds of checks: tables of rule → schema, read by people; and agreement, where the same
 * samples go through fastest-validator (configured as Moleculer configures it) and through ajv
 * with the produced schema, and both must say the same.
 */

const SPACE = "[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]";
const NON_SPACE = SPACE.replace("[", "[^");

const fastest = new Validator({ useNewCustomCheckerFunction: true });
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });

/** fastest-validator's verdict on params, on a copy (it trims and converts in place). */
function fvAccepts(params: Record<string, unknown>, value: Record<string, unknown>): boolean {
	return fastest.compile(structuredClone(params))(structuredClone(value)) === true;
}

describe("ruleToJsonSchema", () => {
	const cases: [string, unknown, JsonSchema, ("body" | "query" | "path")?][] = [
		["a plain string", { type: "string" }, { type: "string" }],
		["string limits", { type: "string", min: 8, max: 256 }, { type: "string", minLength: 8, maxLength: 256 }],
		["a shorthand rule", "string|min:3", { type: "string", minLength: 3 }],
		[
			"a fixed length with a pattern, anchored at the very end",
			{ type: "string", length: 2, pattern: "^[A-Za-z]{2}$" },
			{ type: "string", minLength: 2, maxLength: 2, pattern: "^[A-Za-z]{2}(?![\\s\\S])" },
		],
		["a RegExp pattern", { type: "string", pattern: /^tok_[a-z0-9_]{1,40}$/ }, { type: "string", pattern: "^tok_[a-z0-9_]{1,40}(?![\\s\\S])" }],
		[
			"a trimmed string with a minimum: white space alone is not enough",
			{ type: "string", trim: true, min: 1, max: 64 },
			{
				type: "string",
				pattern: `^${SPACE}*${NON_SPACE}(?:[\\s\\S]{0,62}${NON_SPACE})?${SPACE}*$`,
				description: "Surrounding white space is removed; 1 to 64 characters remain.",
			},
		],
		[
			"a trimmed string without a minimum may be white space only",
			{ type: "string", trim: true, max: 100 },
			{
				type: "string",
				pattern: `^${SPACE}*(?:${NON_SPACE}(?:[\\s\\S]{0,98}${NON_SPACE})?)?${SPACE}*$`,
				description: "Surrounding white space is removed; 0 to 100 characters remain.",
			},
		],
		["a trimmed string without limits is any string", { type: "string", trim: true }, { type: "string" }],
		[
			"a trimmed string whose pattern has no white space",
			{ type: "string", trim: true, min: 1, max: 64, pattern: "^[A-Za-z0-9._-]+$" },
			{
				type: "string",
				pattern: `^${SPACE}*[\\-.0-9A-Z_a-z]{1,64}${SPACE}*$`,
				description: "Surrounding white space is removed; 1 to 64 characters remain, matching ^[A-Za-z0-9._-]+$.",
			},
		],
		[
			"a trimmed string whose pattern allows inner spaces",
			{ type: "string", trim: true, min: 1, max: 64, pattern: "^[A-Za-z0-9 _-]+$" },
			{
				type: "string",
				pattern: `^${SPACE}*[\\-0-9A-Z_a-z](?:[ \\-0-9A-Z_a-z]{0,62}[\\-0-9A-Z_a-z])?${SPACE}*$`,
				description: "Surrounding white space is removed; 1 to 64 characters remain, matching ^[A-Za-z0-9 _-]+$.",
			},
		],
		[
			"a normalized email, its length counted after trimming",
			{ type: "email", normalize: true, max: 254 },
			{
				type: "string",
				pattern: `^${SPACE}*${NON_SPACE}+@${NON_SPACE}+\\.${NON_SPACE}+${SPACE}*$`,
				description: "An email address; surrounding white space is removed and it is stored lower-cased.",
				allOf: [{ pattern: `^${SPACE}*${NON_SPACE}{0,254}${SPACE}*$` }],
			},
		],
		["an integer with limits", { type: "number", integer: true, min: 0, max: 100_000_000 }, { type: "integer", minimum: 0, maximum: 100_000_000 }],
		["positive is above 0", { type: "number", positive: true }, { type: "number", exclusiveMinimum: 0 }],
		[
			"a converted number in the query",
			{ type: "number", integer: true, positive: true, convert: true },
			{ type: "integer", exclusiveMinimum: 0 },
			"query",
		],
		["a boolean", { type: "boolean" }, { type: "boolean" }],
		["an enum", { type: "enum", values: ["price", "-price"] }, { enum: ["price", "-price"] }],
		["a default", { type: "number", default: 20 }, { type: "number", default: 20 }],
		[
			"an array of strict objects",
			{
				type: "array",
				min: 1,
				max: 50,
				items: { type: "object", strict: true, props: { qty: { type: "number", integer: true, min: 1 }, note: { type: "string", optional: true } } },
			},
			{
				type: "array",
				minItems: 1,
				maxItems: 50,
				items: {
					type: "object",
					properties: { qty: { type: "integer", minimum: 1 }, note: { type: ["string", "null"] } },
					required: ["qty"],
					additionalProperties: false,
				},
			},
		],
		[
			"a non-strict object allows other keys",
			{ type: "object", props: { a: { type: "boolean" } } },
			{ type: "object", properties: { a: { type: "boolean" } }, required: ["a"] },
		],
		["strict: remove drops other keys, so allows them", { type: "object", strict: "remove", props: {} }, { type: "object", properties: {} }],
	];

	// As objects: jest would pass a row's missing last element as the `done` callback.
	it.each(cases.map(([name, rule, schema, source]) => ({ name, rule, schema, source })))("$name", ({ rule, schema, source }) => {
		expect(ruleToJsonSchema(rule, { source })).toEqual(schema);
	});

	const refused: [string, unknown, ("body" | "query")?][] = [
		["an unknown rule type", { type: "url" }],
		["an unknown option", { type: "string", alpha: true }],
		["a RegExp that went through JSON", { type: "string", pattern: {} }],
		["pattern flags", { type: "string", pattern: /^a$/i }],
		["a trimmed string with a pattern that is not one class", { type: "string", trim: true, pattern: "^a|b$" }],
		["alternative rules", [{ type: "string" }, { type: "number" }]],
		["a number in the query that is not converted", { type: "number" }, "query"],
		["a converted number in a body (it also takes text)", { type: "number", convert: true }],
		["an object in the query", { type: "object", props: {} }, "query"],
		["a rule that accepts nothing", { type: "string", min: 5, max: 2 }],
		["empty: true, which skips every check", { type: "string", empty: true }],
	];

	it.each(refused.map(([name, rule, source]) => ({ name, rule, source })))("refuses $name at generation time", ({ rule, source }) => {
		expect(() => ruleToJsonSchema(rule, { source })).toThrow(UnsupportedRuleError);
	});
});

describe("paramsToJsonSchema", () => {
	it("makes $$strict params a closed object with the non-optional params required, optional ones nullable", () => {
		expect(
			paramsToJsonSchema({ $$strict: true, id: { type: "string" }, name: { type: "string", optional: true }, size: { type: "number", default: 20 } }),
		).toEqual({
			type: "object",
			properties: { id: { type: "string" }, name: { type: ["string", "null"] }, size: { type: ["number", "null"], default: 20 } },
			required: ["id"],
			additionalProperties: false,
		});
	});

	it("gives query params no null: a query value is always text", () => {
		expect(paramsToJsonSchema({ q: { type: "string", optional: true } }, { source: "query" })).toEqual({
			type: "object",
			properties: { q: { type: "string" } },
		});
	});

	it("refuses meta keys it does not know", () => {
		expect(() => paramsToJsonSchema({ $$root: true, type: "string" })).toThrow(UnsupportedRuleError);
	});
});

describe("portablePattern", () => {
	it.each([
		["^a$", "^a(?![\\s\\S])"],
		["\\d+", "[0-9]+"],
		["[\\w-]", "[A-Za-z0-9_-]"],
		["a.b", "a[^\\n\\r\\u2028\\u2029]b"],
		["\\s", `${SPACE}`],
		["\\_", "_"],
		["[$]", "[$]"],
		["(?:ab)+", "(?:ab)+"],
	])("%s → %s", (source, portable) => {
		expect(portablePattern(source)).toBe(portable);
	});

	it.each(["\\bword", "(a)\\1", "(?<name>a)", "[^]", "a{,3}"])("refuses %s", (source) => {
		expect(() => portablePattern(source)).toThrow(UnsupportedRuleError);
	});
});

describe("agreement with fastest-validator", () => {
	const tricky = ["", " ", "\t", "\n", "\u00a0", "\u2028", "\ufeff", "\u3000", "\u180e", "\u001c", "\u0085", "\u200b"];
	const samplesOf = (words: string[]) => [
		...words,
		...tricky,
		...tricky.flatMap((space) => words.map((word) => `${space}${word}${space}`)),
		...words.map((word) => `${word}\n`),
	];

	const cases: { name: string; params: Record<string, unknown>; values: unknown[] }[] = [
		{
			name: "a trimmed id",
			params: { v: { type: "string", trim: true, min: 1, max: 5 } },
			values: samplesOf(["a", "a b", "abcde", "abcdef", "a   b", "é"]),
		},
		{
			name: "a trimmed optional text",
			params: { v: { type: "string", trim: true, max: 3, optional: true } },
			values: [...samplesOf(["a", "abc", "abcd", "a  b"]), null, undefined, 5],
		},
		{
			name: "a SKU",
			params: { v: { type: "string", trim: true, min: 2, max: 4, pattern: "^[A-Za-z0-9._-]+$" } },
			values: samplesOf(["a", "ab", "A-_.", "abcde", "a b", "a/b", "ab\u00e9"]),
		},
		{
			name: "a category",
			params: { v: { type: "string", trim: true, min: 1, max: 4, pattern: "^[A-Za-z0-9 _-]+$" } },
			values: samplesOf(["a", "a b", "a  b", "ab cd", "a\tb", "a.b"]),
		},
		{
			name: "a country",
			params: { v: { type: "string", length: 2, pattern: "^[A-Za-z]{2}$" } },
			values: [...samplesOf(["GB", "gb", "G", "GBR", "G1"]), 12, null],
		},
		{
			name: "a payment token",
			params: { v: { type: "string", pattern: "^tok_[a-z0-9_]{1,4}$", optional: true } },
			values: [...samplesOf(["tok_a", "tok_", "tok_abcd", "tok_abcde", "tok_A", "xtok_a"]), null, undefined],
		},
		{
			name: "an email",
			params: { v: { type: "email", normalize: true, max: 12 } },
			values: samplesOf(["a@b.co", "A@B.CO", "a@b", "a b@c.d", "@b.co", "a@.co", "a@b.", "abcdef@gh.ij", "abcdefg@gh.ij", "a@b@c.de"]),
		},
		{ name: "a password", params: { v: { type: "string", min: 3, max: 5 } }, values: samplesOf(["ab", "abc", "abcde", "abcdef"]) },
		{ name: "an integer", params: { v: { type: "number", integer: true, min: 0, max: 10 } }, values: [-1, 0, 0.5, 10, 10.5, 11, "5", null, true, 1e400] },
		{ name: "a positive integer", params: { v: { type: "number", integer: true, positive: true, max: 100 } }, values: [-1, 0, 1, 1.5, 100, 101] },
		{ name: "a boolean", params: { v: { type: "boolean", optional: true } }, values: [true, false, "true", 1, null, undefined] },
		{
			name: "an enum",
			params: { v: { type: "enum", values: ["PENDING", "CANCELLED"], optional: true } },
			values: ["PENDING", "pending", " PENDING", null, undefined, 1],
		},
		{
			name: "an array of strict objects",
			params: {
				v: {
					type: "array",
					min: 1,
					max: 2,
					items: {
						type: "object",
						strict: true,
						props: { id: { type: "string", trim: true, min: 1 }, qty: { type: "number", integer: true, min: 1, max: 100 } },
					},
				},
			},
			values: [
				[],
				[{ id: "a", qty: 1 }],
				[{ id: " ", qty: 1 }],
				[{ id: "a", qty: 0 }],
				[{ id: "a", qty: 1, x: 1 }],
				[{ id: "a" }],
				[null],
				[
					{ id: "a", qty: 1 },
					{ id: "b", qty: 2 },
					{ id: "c", qty: 3 },
				],
				"a",
				{ id: "a", qty: 1 },
			],
		},
	];

	it.each(cases)("agrees on $name", ({ params, values }) => {
		const strict = { $$strict: true, ...params };
		const check = ajv.compile(paramsToJsonSchema(strict));
		for (const v of values) {
			const object = v === undefined ? {} : { v };
			expect({ value: v, valid: check(object) }).toEqual({ value: v, valid: fvAccepts(strict, object) });
		}
	});

	it("agrees on extra and missing keys of $$strict params", () => {
		const params = { $$strict: true, a: { type: "string" }, b: { type: "string", optional: true } };
		const check = ajv.compile(paramsToJsonSchema(params));
		for (const value of [{ a: "x" }, { a: "x", b: "y" }, { a: "x", c: 1 }, { b: "y" }, {}, { a: null }]) {
			expect({ value, valid: check(value) }).toEqual({ value, valid: fvAccepts(params, value) });
		}
	});

	it("agrees with trim on what white space is, for every character of the Basic Multilingual Plane", () => {
		const params = { $$strict: true, v: { type: "string", trim: true, min: 1, max: 3 } };
		const check = ajv.compile(paramsToJsonSchema(params));
		const fv = fastest.compile(structuredClone(params));
		const disagreements: string[] = [];
		for (let code = 0; code <= 0xffff; code++) {
			if (code >= 0xd800 && code <= 0xdfff) continue;
			const c = String.fromCharCode(code);
			for (const value of [c, `${c}a${c}`]) {
				if (check({ v: value }) !== (fv({ v: value }) === true)) disagreements.push(code.toString(16));
			}
		}
		expect(disagreements).toEqual([]);
	});

	it("agrees on converted query numbers given as text", () => {
		const params = { $$strict: true, page: { type: "number", integer: true, positive: true, convert: true, optional: true } };
		const schema = (paramsToJsonSchema(params, { source: "query" }).properties as Record<string, JsonSchema>).page!;
		const check = ajv.compile(schema);
		for (const n of [-1, 0, 1, 2.5, 3, 1e6]) {
			expect({ n, valid: check(n) }).toEqual({ n, valid: fvAccepts(params, { page: String(n) }) });
		}
	});
});
