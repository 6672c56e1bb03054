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

/**
 * A copy of an action's params (or an object rule's props) with `change` applied to every rule,
 * nested ones included: an object's props, an array's items, a multi-rule's alternatives.
 */
function mapRules(params: Rule, change: (rule: Rule) => Rule): Rule {
	const mapRule = (rule: unknown): unknown => {
		if (Array.isArray(rule)) return rule.map(mapRule);
		if (typeof rule !== "object" || rule === null || typeof (rule as Rule).type !== "string") return rule;
		const copy = change({ ...(rule as Rule) });
		if (copy.props && typeof copy.props === "object") copy.props = mapRules(copy.props as Rule, change);
		if (copy.items !== undefined) copy.items = mapRule(copy.items);
		if (Array.isArray(copy.rules)) copy.rules = copy.rules.map(mapRule);
		return copy;
	};
	return Object.fromEntries(Object.entries(params).map(([key, rule]) => [key, key.startsWith("$$") ? rule : mapRule(rule)]));
}

const refuseNull = (rule: Rule): Rule => (rule.nullable === undefined ? { ...rule, nullable: false } : rule);

/** A copy of an action's params with null refused by every rule that does not say `nullable`. */
export function refuseNullInParams(params: Rule): Rule {
	return mapRules(params, refuseNull);
}

/** The options the shop's validator runs fastest-validator with; the OpenAPI document mirrors them. */
export const VALIDATOR_OPTIONS = { considerNullAsAValue: true } as const;

type CustomCheck = (value: unknown, errors: Rule[], schema: Rule, path: string, parent: unknown, context: unknown) => unknown;

/** A string rule's length limits, checked in code points by a custom check after trimming. */
function countCharacters(rule: Rule): Rule {
	const { min, max, length, custom, ...rest } = rule;
	if (rule.type !== "string" || (min === undefined && max === undefined && length === undefined)) return rule;
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

/** The rules as the shop's validator checks them, and whether any counts characters. */
function shopRules(schema: Rule): { rules: Rule; countsCharacters: boolean } {
	let countsCharacters = false;
	const rules = mapRules(schema, (rule) => {
		const checked = countCharacters(refuseNull(rule));
		if (checked.custom !== rule.custom) countsCharacters = true;
		return checked;
	});
	return { rules, countsCharacters };
}

export class ShopValidator extends Validators.Fastest {
	constructor() {
		super(VALIDATOR_OPTIONS as never);
	}

	override compile(schema: Rule) {
		const { rules, countsCharacters } = shopRules(schema);
		const check = super.compile(rules);
		// Only a character count's custom check leaves undefined keys behind: the other schemas'
		// params (most reads) are not walked again on every call.
		if (!countsCharacters) return check;
		return ((params: unknown) => {
			const result = (check as (params: unknown) => unknown)(params);
			dropUndefined(params);
			return result;
		}) as ReturnType<Validators.Fastest["compile"]>;
	}

	override validate(params: Rule, schema: Rule) {
		return super.validate(params, shopRules(schema).rules);
	}
}
