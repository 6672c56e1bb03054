import { NullRefusingValidator, refuseNullInParams } from "./validator";

describe("NullRefusingValidator", () => {
	const validator = new NullRefusingValidator();
	const check = validator.compile({
		$$strict: true,
		name: { type: "string", optional: true },
		address: { type: "object", optional: true, props: { line2: { type: "string", optional: true } } },
		items: { type: "array", optional: true, items: { type: "object", props: { qty: { type: "number" } } } },
		note: { type: "string", optional: true, nullable: true },
	}) as (params: unknown) => true | { field: string; type: string }[];

	it.each([
		["an optional field", { name: null }, "name"],
		["a field of an optional object", { address: { line2: null } }, "address.line2"],
		["an array item", { items: [null] }, "items"],
		["a field inside an array item", { items: [{ qty: null }] }, "items[0].qty"],
	])("refuses null in %s", (_, params, field) => {
		const result = check(params);
		expect(result).not.toBe(true);
		expect((result as { field: string }[]).map((error) => error.field).some((name) => name.startsWith(field))).toBe(true);
	});

	it("still accepts a missing optional field, and null where a rule says nullable", () => {
		expect(check({})).toBe(true);
		expect(check({ address: {} })).toBe(true);
		expect(check({ note: null })).toBe(true);
	});

	it("leaves the schema it was given unchanged", () => {
		const params = { name: { type: "string", optional: true } };
		refuseNullInParams(params);
		expect(params).toEqual({ name: { type: "string", optional: true } });
	});
});
