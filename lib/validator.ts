import { Validators } from "moleculer";

/*
 * The broker's validator: fastest-validator with two corrections, so that the rules mean what
 * the OpenAPI document (JSON Schema) says they mean, and what a person would expect.
 *
 * - Null. fastest-validator lets `null` through wherever a rule is optional, so `{ "name": null }`
 *   on a PATCH reached handlers that call `.trim()` on it (a 500) or stored a null where the
 *   contract promises a string. No action of the shop takes null for anything, so null counts as
 *   a value (considerNullAsAValue) and every rule that does not say otherwise is
 *   `nullable: false`. A missing optional field is still fine.
 * - Lengths. A string's min, max and length count characters (code points), as JSON Schema does,
 *   not UTF-16 units: "😀" is one character, not two. They are checked by a custom check, which
 *   fastest-validator runs (and assigns the result of) even for a field that is absent, so the
 *   keys that left it `undefined` are dropped again after each check: a missing field stays
 *   missing, and MongoDB does not store it as null.
 */

type Rule = Record<string, unknown>;

function refuseNullInRule(rule: unknown): unknown {
	if (Array.isArray(rule)) return rule.map(refuseNullInRule);
	if (typeof rule !== "object" || rule === null || typeof (rule as Rule).type !== "string") return rule;
	const copy: Rule = { ...(rule as Rule) };
	if (copy.nullable === undefined) copy.nullable = false;
	if (copy.props && typeof copy.props === "object") copy.props = refuseNullInParams(copy.props as Rule);
	if (copy.items !== undefined) copy.items = refuseNullInRule(copy.items);
	if (Array.isArray(copy.rules)) copy.rules = copy.rules.map(refuseNullInRule);
	return copy;
}

/** A copy of an action's params (or an object rule's props) with null refused by every rule. */
export function refuseNullInParams(params: Rule): Rule {
	return Object.fromEntries(Object.entries(params).map(([key, rule]) => [key, key.startsWith("$$") ? rule : refuseNullInRule(rule)]));
}

/** The options the shop's validator runs fastest-validator with; the OpenAPI document mirrors them. */
export const VALIDATOR_OPTIONS = { considerNullAsAValue: true } as const;

type CustomCheck = (value: unknown, errors: Rule[], schema: Rule, path: string, parent: unknown, context: unknown) => unknown;

/** A string rule's length limits, checked in code points by a custom check after trimming. */
function countCharacters(rule: Rule): Rule {
	const { min, max, length, custom, ...rest } = rule;
	if (min === undefined && max === undefined && length === undefined) return rule;
	const check: CustomCheck = (value, errors, ...more) => {
		// fastest-validator calls a custom check even after the type check failed.
		if (typeof value !== "string") return value;
		const count = [...value].length;
		if (typeof length === "number" && count !== length) errors.push({ type: "stringLength", expected: length, actual: count });
		else if (typeof min === "number" && count < min) errors.push({ type: "stringMin", expected: min, actual: count });
		else if (typeof max === "number" && count > max) errors.push({ type: "stringMax", expected: max, actual: count });
		return typeof custom === "function" ? (custom as CustomCheck)(value, errors, ...more) : value;
	};
	return { ...rest, custom: check };
}

function countCharactersInRule(rule: unknown): unknown {
	if (Array.isArray(rule)) return rule.map(countCharactersInRule);
	if (typeof rule !== "object" || rule === null || typeof (rule as Rule).type !== "string") return rule;
	const copy: Rule = (rule as Rule).type === "string" ? countCharacters(rule as Rule) : { ...(rule as Rule) };
	if (copy.props && typeof copy.props === "object") copy.props = countCharactersInParams(copy.props as Rule);
	if (copy.items !== undefined) copy.items = countCharactersInRule(copy.items);
	if (Array.isArray(copy.rules)) copy.rules = copy.rules.map(countCharactersInRule);
	return copy;
}

function countCharactersInParams(params: Rule): Rule {
	return Object.fromEntries(Object.entries(params).map(([key, rule]) => [key, key.startsWith("$$") ? rule : countCharactersInRule(rule)]));
}

/** Deletes the keys whose value is undefined, in place, all the way down. */
function dropUndefined(value: unknown): void {
	const stack = [value];
	while (stack.length > 0) {
		const current = stack.pop();
		if (typeof current !== "object" || current === null) continue;
		for (const key of Object.keys(current)) {
			const child = (current as Rule)[key];
			if (child === undefined && !Array.isArray(current)) delete (current as Rule)[key];
			else stack.push(child);
		}
	}
}

export class ShopValidator extends Validators.Fastest {
	constructor() {
		super(VALIDATOR_OPTIONS as never);
	}

	override compile(schema: Rule) {
		const check = super.compile(countCharactersInParams(refuseNullInParams(schema))) as (params: unknown) => unknown;
		return ((params: unknown) => {
			const result = check(params);
			dropUndefined(params);
			return result;
		}) as ReturnType<Validators.Fastest["compile"]>;
	}

	override validate(params: Rule, schema: Rule) {
		return super.validate(params, countCharactersInParams(refuseNullInParams(schema)));
	}
}
