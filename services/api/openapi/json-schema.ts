import Validator from "fastest-validator";
import { END, NON_SPACE, portablePattern, quantified, simpleClassPattern, SPACE, trimmedCore, UnsupportedRuleError } from "./portable-patterns";

/*
 * fastest-validator rules as JSON Schema 2020-12, the dialect of OpenAPI 3.1. A fuzzer checks the
 * document both ways (what the schema allows must be accepted, what it forbids refused), so each
 * schema says exactly what the validator does, Moleculer's way (default options):
 *
 * - `trim` strings are measured and matched after trimming, so the schema is one pattern over the
 *   raw text: white space, then a core of the allowed length and characters, then white space.
 * - patterns mean the same in JavaScript (the validator), ajv and Python (schemathesis): `\s`,
 *   `\d`, `\w` and `.` become explicit classes, and `$` is made to match only at the very end
 *   (Python's `$` also matches before a final newline); portable-patterns.ts writes them.
 * - an optional property also accepts null (the validator skips null as it skips undefined).
 * - path and query values are text: a number or boolean there needs `convert: true`.
 *
 * Anything else (an unknown rule type or option, a pattern that lost its RegExp on the way
 * through the transporter) throws here, while the document is built, so a new rule can never
 * produce a document that silently says something the validator does not do.
 *
 * Not expressible: the validator counts UTF-16 code units, JSON Schema counts code points, so
 * for text with characters outside the Basic Multilingual Plane the length limits differ.
 */

/** Thrown, while the document is built, for a rule the document cannot describe exactly. */
export { UnsupportedRuleError };

export type JsonSchema = { [keyword: string]: unknown };

/** Where a value arrives: a JSON body keeps its types, the path and the query string carry text. */
export type ValueSource = "body" | "query" | "path";

export interface ConversionOptions {
	/** Default "body". */
	source?: ValueSource;
	/** The validator option of that name; Moleculer leaves it off. */
	considerNullAsAValue?: boolean;
}

type Rule = Record<string, unknown>;
interface Context {
	source: ValueSource;
	considerNull: boolean;
	where: string;
}

const COMMON_KEYS = ["type", "optional", "nullable", "default", "label", "messages"];
const KEYS: Record<string, string[]> = {
	string: ["min", "max", "length", "pattern", "patternFlags", "trim", "empty", "enum"],
	email: ["min", "max", "normalize", "mode", "empty"],
	number: ["min", "max", "integer", "positive", "negative", "equal", "notEqual", "convert"],
	boolean: ["convert"],
	enum: ["values"],
	array: ["items", "min", "max", "length", "empty"],
	object: ["props", "properties", "strict"],
};

const shorthand = new Validator() as unknown as { parseShortHand(text: string): Rule };

/** One rule (object or shorthand such as "string|min:3") as the schema of its value. */
export function ruleToJsonSchema(rule: unknown, options: ConversionOptions = {}): JsonSchema {
	return convert(toRule(rule, "rule"), context(options, "rule"));
}

/** An action's whole `params` (with `$$strict`) as the schema of the object it validates. */
export function paramsToJsonSchema(params: Record<string, unknown>, options: ConversionOptions = {}): JsonSchema {
	const metaKeys = Object.keys(params).filter((key) => key.startsWith("$$"));
	for (const key of metaKeys) {
		if (key !== "$$strict" && key !== "$$async") throw new UnsupportedRuleError("params", `${key} is not supported`);
	}
	// The params object itself is what the query or the body assembles, wherever its values come from.
	return objectSchema(params, params.$$strict, context(options, ""), true);
}

function context(options: ConversionOptions, where: string): Context {
	return { source: options.source ?? "body", considerNull: options.considerNullAsAValue === true, where };
}

function toRule(rule: unknown, where: string): Rule {
	if (typeof rule === "string") return shorthand.parseShortHand(rule);
	if (Array.isArray(rule)) throw new UnsupportedRuleError(where, "a list of alternative rules (multi) is not supported");
	if (typeof rule !== "object" || rule === null || typeof (rule as Rule).type !== "string") {
		throw new UnsupportedRuleError(where, "a rule must be a shorthand string or an object with a type");
	}
	return rule as Rule;
}

function convert(rule: Rule, ctx: Context): JsonSchema {
	const type = rule.type as string;
	const allowed = KEYS[type];
	if (!allowed) throw new UnsupportedRuleError(ctx.where, `rule type "${type}" is not supported`);
	for (const key of Object.keys(rule)) {
		if (!COMMON_KEYS.includes(key) && !allowed.includes(key))
			throw new UnsupportedRuleError(ctx.where, `option "${key}" of a ${type} rule is not supported`);
	}
	const schema = CONVERTERS[type]!(rule, ctx);
	if (rule.default !== undefined && typeof rule.default !== "function") schema.default = rule.default;
	return schema;
}

const CONVERTERS: Record<string, (rule: Rule, ctx: Context) => JsonSchema> = {
	string: stringSchema,
	email: emailSchema,
	number: numberSchema,
	boolean: booleanSchema,
	enum: enumSchema,
	array: arraySchema,
	object: (rule, ctx) => objectSchema((rule.properties ?? rule.props ?? {}) as Rule, rule.strict, ctx),
};

function bodyOnly(ctx: Context, what: string): void {
	if (ctx.source !== "body") throw new UnsupportedRuleError(ctx.where, `${what} cannot arrive as ${ctx.source} text`);
}

/** Path and query values are text: only a rule that converts text can accept them. */
function textConversion(rule: Rule, ctx: Context, what: string): void {
	if (ctx.source === "body" && rule.convert === true) {
		throw new UnsupportedRuleError(ctx.where, `a ${what} with convert: true in a JSON body is not supported (it also accepts text)`);
	}
	if (ctx.source !== "body" && rule.convert !== true) {
		throw new UnsupportedRuleError(ctx.where, `a ${what} in the ${ctx.source} needs convert: true, as ${ctx.source} values are text`);
	}
}

function numberSchema(rule: Rule, ctx: Context): JsonSchema {
	textConversion(rule, ctx, "number");
	const schema: JsonSchema = { type: rule.integer === true ? "integer" : "number" };
	if (rule.min != null) schema.minimum = rule.min;
	if (rule.max != null) schema.maximum = rule.max;
	if (rule.positive === true) schema.exclusiveMinimum = 0;
	if (rule.negative === true) schema.exclusiveMaximum = 0;
	if (rule.equal != null) schema.const = rule.equal;
	if (rule.notEqual != null) schema.not = { const: rule.notEqual };
	return schema;
}

function booleanSchema(rule: Rule, ctx: Context): JsonSchema {
	textConversion(rule, ctx, "boolean");
	return { type: "boolean" };
}

function enumSchema(rule: Rule, ctx: Context): JsonSchema {
	const values = rule.values;
	if (!Array.isArray(values) || values.length === 0) throw new UnsupportedRuleError(ctx.where, "an enum rule needs values");
	if (ctx.source !== "body" && values.some((value) => typeof value !== "string")) {
		throw new UnsupportedRuleError(ctx.where, `an enum in the ${ctx.source} can only match text values`);
	}
	return { enum: [...(values as unknown[])] };
}

function arraySchema(rule: Rule, ctx: Context): JsonSchema {
	bodyOnly(ctx, "an array");
	const schema: JsonSchema = { type: "array" };
	if (rule.items !== undefined) schema.items = property(rule.items, { ...ctx, where: `${ctx.where}[]` }).schema;
	const { min, max } = lengthRange(rule, ctx);
	if (min > 0) schema.minItems = min;
	if (max !== Infinity) schema.maxItems = max;
	return schema;
}

function objectSchema(props: Rule, strict: unknown, ctx: Context, root = false): JsonSchema {
	if (!root) bodyOnly(ctx, "an object");
	if (strict !== undefined && strict !== true && strict !== false && strict !== "remove") {
		// eslint-disable-next-line @typescript-eslint/no-base-to-string -- an unsupported value is named as it is
		throw new UnsupportedRuleError(ctx.where, `strict: ${String(strict)} is not supported`);
	}
	const properties: Record<string, JsonSchema> = {};
	const required: string[] = [];
	for (const [name, rule] of Object.entries(props)) {
		if (name.startsWith("$$")) continue;
		const described = property(rule, { ...ctx, where: ctx.where ? `${ctx.where}.${name}` : name });
		properties[name] = described.schema;
		if (described.required) required.push(name);
	}
	const schema: JsonSchema = { type: "object", properties };
	if (required.length > 0) schema.required = required;
	// "remove" drops unknown keys silently, so they are allowed; true refuses them.
	if (strict === true) schema.additionalProperties = false;
	return schema;
}

/**
 * A rule where it is a property or an array item: whether it must be there and whether null
 * passes, as the validator's required check decides (null falls back to a default too).
 */
function property(raw: unknown, ctx: Context): { schema: JsonSchema; required: boolean } {
	const rule = toRule(raw, ctx.where);
	const schema = convert(rule, ctx);
	const hasDefault = rule.default != null;
	const skipsNull = ctx.considerNull ? rule.nullable !== false : rule.optional === true || rule.nullable === true;
	if ((skipsNull || hasDefault) && ctx.source === "body") addNull(schema);
	return { schema, required: rule.optional !== true && !hasDefault };
}

function addNull(schema: JsonSchema): void {
	if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
	else if (typeof schema.type === "string") schema.type = [schema.type, "null"];
}

/** min/max/length/empty of a string or array rule, as one range. */
function lengthRange(rule: Rule, ctx: Context): { min: number; max: number } {
	let min = typeof rule.min === "number" ? rule.min : 0;
	let max = typeof rule.max === "number" ? rule.max : Infinity;
	if (typeof rule.length === "number") {
		min = Math.max(min, rule.length);
		max = Math.min(max, rule.length);
	}
	if (rule.empty === false) min = Math.max(min, 1);
	if (rule.empty === true) throw new UnsupportedRuleError(ctx.where, "empty: true (which skips every other check) is not supported");
	if (min > max) throw new UnsupportedRuleError(ctx.where, "the rule accepts no value (min > max)");
	return { min, max };
}

function stringSchema(rule: Rule, ctx: Context): JsonSchema {
	const { min, max } = lengthRange(rule, ctx);
	const pattern = patternSource(rule, ctx);
	const schema: JsonSchema = { type: "string" };
	if (rule.enum !== undefined) {
		if (rule.trim === true || !Array.isArray(rule.enum))
			throw new UnsupportedRuleError(ctx.where, "enum is supported only as a list on an untrimmed string");
		schema.enum = [...(rule.enum as unknown[])];
	}
	if (rule.trim !== true) {
		if (min > 0) schema.minLength = min;
		if (max !== Infinity) schema.maxLength = max;
		if (pattern !== undefined) schema.pattern = portablePattern(pattern, ctx.where);
		return schema;
	}
	if (pattern === undefined && min === 0 && max === Infinity) return schema;
	const { chars, from, to } = pattern === undefined ? { chars: undefined, from: 0, to: Infinity } : simpleClassPattern(pattern, ctx.where);
	const lo = Math.max(min, from);
	const hi = Math.min(max, to);
	if (lo > hi) throw new UnsupportedRuleError(ctx.where, "the rule accepts no value (length and pattern disagree)");
	schema.pattern = `^${SPACE}*${trimmedCore(chars, lo, hi, ctx.where)}${SPACE}*$`;
	schema.description = `Surrounding white space is removed; ${describeRange(lo, hi)} remain${pattern ? `, matching ${pattern}` : ""}.`;
	return schema;
}

/**
 * The validator's email rule ("quick" mode): `^\S+@\S+\.\S+$` after `normalize` trims and
 * lower-cases, with min/max counted after that too. Two patterns, as one cannot bound the length.
 */
function emailSchema(rule: Rule, ctx: Context): JsonSchema {
	// eslint-disable-next-line @typescript-eslint/no-base-to-string -- an unsupported value is named as it is
	if (rule.mode !== undefined && rule.mode !== "quick") throw new UnsupportedRuleError(ctx.where, `email mode "${String(rule.mode)}" is not supported`);
	const { min, max } = lengthRange(rule, ctx);
	const address = `${NON_SPACE}+@${NON_SPACE}+\\.${NON_SPACE}+`;
	if (rule.normalize !== true) {
		const schema: JsonSchema = { type: "string", pattern: `^${address}${END}` };
		if (min > 0) schema.minLength = min;
		if (max !== Infinity) schema.maxLength = max;
		return schema;
	}
	const schema: JsonSchema = {
		type: "string",
		pattern: `^${SPACE}*${address}${SPACE}*$`,
		description: "An email address; surrounding white space is removed and it is stored lower-cased.",
	};
	if (min > 0 || max !== Infinity) schema.allOf = [{ pattern: `^${SPACE}*${quantified(NON_SPACE, min, max)}${SPACE}*$` }];
	return schema;
}

/** Patterns may arrive as RegExp (same process) or as their source text (from the registry). */
function patternSource(rule: Rule, ctx: Context): string | undefined {
	const { pattern, patternFlags } = rule;
	if (pattern === undefined) return undefined;
	if (pattern instanceof RegExp) {
		if (pattern.flags !== "") throw new UnsupportedRuleError(ctx.where, `pattern flags "${pattern.flags}" are not supported`);
		return pattern.source;
	}
	if (typeof pattern !== "string") {
		throw new UnsupportedRuleError(
			ctx.where,
			"pattern is neither a string nor a RegExp (a RegExp sent through the transporter arrives as {}; write it as a string)",
		);
	}
	if (patternFlags !== undefined && patternFlags !== "") {
		// eslint-disable-next-line @typescript-eslint/no-base-to-string -- an unsupported value is named as it is
		throw new UnsupportedRuleError(ctx.where, `patternFlags "${String(patternFlags)}" are not supported`);
	}
	return pattern;
}

function describeRange(lo: number, hi: number): string {
	if (hi === Infinity) return `at least ${lo} characters`;
	return lo === hi ? `exactly ${lo} characters` : `${lo} to ${hi} characters`;
}
