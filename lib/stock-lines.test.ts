import { mergeLines } from "./stock-lines";

describe("mergeLines", () => {
	it("sums the quantities of lines for the same product", () => {
		expect(
			mergeLines([
				{ productId: "p1", qty: 2 },
				{ productId: "p1", qty: 3 },
			]),
		).toEqual([{ productId: "p1", qty: 5 }]);
	});

	it("orders the lines by productId", () => {
		expect(
			mergeLines([
				{ productId: "c", qty: 1 },
				{ productId: "a", qty: 2 },
				{ productId: "b", qty: 3 },
				{ productId: "a", qty: 4 },
			]),
		).toEqual([
			{ productId: "a", qty: 6 },
			{ productId: "b", qty: 3 },
			{ productId: "c", qty: 1 },
		]);
	});

	it("orders by code unit, so upper case sorts before lower case", () => {
		expect(
			mergeLines([
				{ productId: "b", qty: 1 },
				{ productId: "B", qty: 1 },
			]).map((line) => line.productId),
		).toEqual(["B", "b"]);
	});

	it("returns nothing for no lines", () => {
		expect(mergeLines([])).toEqual([]);
	});

	it("does not change the lines it is given", () => {
		const items = [
			{ productId: "b", qty: 1 },
			{ productId: "a", qty: 1 },
			{ productId: "b", qty: 1 },
		];
		mergeLines(items);
		expect(items).toEqual([
			{ productId: "b", qty: 1 },
			{ productId: "a", qty: 1 },
			{ productId: "b", qty: 1 },
		]);
	});
});
