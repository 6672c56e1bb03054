/** fastest-validator rules shared by more than one service's actions. */

export const addressRule = {
	type: "object",
	strict: true,
	props: {
		label: { type: "string", trim: true, max: 40, optional: true },
		name: { type: "string", trim: true, min: 1, max: 100 },
		line1: { type: "string", trim: true, min: 1, max: 200 },
		line2: { type: "string", trim: true, max: 200, optional: true },
		city: { type: "string", trim: true, min: 1, max: 100 },
		postalCode: { type: "string", trim: true, min: 1, max: 20 },
		country: { type: "string", length: 2, pattern: "^[A-Za-z]{2}$" },
	},
} as const;

/** Ids we generate are UUIDs; anything within these bounds is looked up, anything else refused. */
export const idRule = { type: "string", min: 1, max: 64, trim: true } as const;

/** Lines of products and quantities (an order's, a reservation's): 1 to 50 of them, each quantity 1 to `maxQty`. */
export function linesRule(maxQty: number) {
	return {
		type: "array",
		min: 1,
		max: 50,
		items: { type: "object", strict: true, props: { productId: idRule, qty: { type: "number", integer: true, min: 1, max: maxQty } } },
	} as const;
}

/** A payment method token as the payment provider names them (tok_visa, tok_decline…); optional, orders default it. */
export const paymentMethodRule = { type: "string", pattern: "^tok_[a-z0-9_]{1,40}$", optional: true } as const;

/**
 * A yes/no filter in a query string: exactly `true` or `false`, what an OpenAPI client sends for
 * a boolean. (fastest-validator's boolean conversion also takes 1, 0, on and off, which the
 * document could not say.) A new rule each time: Moleculer sends a node's action params to the
 * others dropping any object (the values array too) met twice in one action.
 */
export function queryFlagRule() {
	return { type: "enum", values: ["true", "false"], optional: true } as const;
}

/** A shipping option as a quote names it (`standard:490`) or bare (`standard`); optional, orders take the cheapest. */
export const shippingOptionIdRule = { type: "string", pattern: "^[a-z][a-z0-9-]{0,31}(:[0-9]{1,9})?$", optional: true } as const;
