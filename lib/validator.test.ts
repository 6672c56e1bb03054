import { ShopValidator, refuseNullInParams } from "./validator";

describe("ShopValidator", () => {
	const validator = new ShopValidator();
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

describe("ShopValidator's string lengths", () => {
	const check = new ShopValidator().compile({
		$$strict: true,
		name: { type: "string", trim: true, min: 1, max: 3, optional: true },
		country: { type: "string", length: 2, optional: true },
		tags: { type: "array", optional: true, items: { type: "string", max: 2 } },
	}) as (params: Record<string, unknown>) => true | { field: string; type: string; message: string }[];

	it.each([
		["three emoji within a max of 3", { name: "😀😀😀" }],
		["a trimmed name", { name: "  abc  " }],
		["two characters outside the BMP for a length of 2", { country: "𝔸𝔹" }],
		["array items", { tags: ["😀😀", "ab"] }],
	])("counts characters, not UTF-16 units: accepts %s", (_, params) => {
		expect(check(params)).toBe(true);
	});

	it.each([
		["four emoji over a max of 3", { name: "😀😀😀😀" }, "stringMax"],
		["only white space under a min of 1", { name: "   " }, "stringMin"],
		["one character for a length of 2", { country: "𝔸" }, "stringLength"],
		["an array item over its max", { tags: ["abc"] }, "stringMax"],
	])("refuses %s with the validator's own error type and message", (_, params, type) => {
		const result = check(params);
		expect(result).toEqual([expect.objectContaining({ type, message: expect.stringMatching(/characters/) })]);
	});

	it("adds no key for an optional field that was not sent, at any depth", () => {
		const nested = new ShopValidator().compile({
			address: { type: "object", props: { label: { type: "string", max: 40, optional: true }, name: { type: "string" } } },
		}) as (params: unknown) => unknown;
		const params = { address: { name: "N" } };
		expect(nested(params)).toBe(true);
		expect(Object.keys(params.address)).toEqual(["name"]);
		const top = { country: "GB" };
		expect(check(top)).toBe(true);
		expect(Object.keys(top)).toEqual(["country"]);
	});

	it("trims before it counts, and stores the trimmed value", () => {
		const params = { name: "  ab  " };
		expect(check(params)).toBe(true);
		expect(params.name).toBe("ab");
	});
});

it("leaves a value that is not a string to the type check", () => {
	const check = new ShopValidator().compile({ name: { type: "string", max: 3 } }) as (params: unknown) => true | { type: string }[];
	for (const name of [42, {}, [], true]) expect(check({ name })).toEqual([expect.objectContaining({ type: "string" })]);
});
