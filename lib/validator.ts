import { Validators } from "moleculer";

/*
 * fastest-validator lets `null` through wherever a rule is optional, so `{ "name": null }` on a
 * PATCH reached handlers that call `.trim()` on it (a 500) or stored a null where the contract
 * promises a string. No action of the shop takes null for anything, so the broker's validator
 * refuses it everywhere: null counts as a value (considerNullAsAValue) and every rule that does
 * not say otherwise is `nullable: false`. A missing optional field is still fine.
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

export class NullRefusingValidator extends Validators.Fastest {
	constructor() {
		super(VALIDATOR_OPTIONS as never);
	}

	override compile(schema: Rule) {
		return super.compile(refuseNullInParams(schema));
	}

	override validate(params: Rule, schema: Rule) {
		return super.validate(params, refuseNullInParams(schema));
	}
}
