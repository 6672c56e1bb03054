import { formatAge, formatTable, REPL_COMMANDS } from "./repl-commands";

describe("formatTable", () => {
	it("pads each column to its widest cell and underlines the header", () => {
		expect(
			formatTable(
				["ID", "STATUS"],
				[
					["a", "CONFIRMED"],
					["bbbb", "PENDING"],
				],
			),
		).toBe(["ID    STATUS", "----  ---------", "a     CONFIRMED", "bbbb  PENDING"].join("\n"));
	});

	it("keeps a row on one line and cuts a long cell, except in the last column", () => {
		const long = `connect ECONNREFUSED\n${"x".repeat(100)}`;
		const [first, last] = formatTable(["ERROR", "MORE"], [[long, long]])
			.split("\n")[2]!
			.split("  ");
		expect(first).toHaveLength(100);
		expect(first).toMatch(/^connect ECONNREFUSED x+…$/);
		expect(last).toBe(long.replace("\n", " "));
	});

	it("prints only the header of an empty table", () => {
		expect(formatTable(["A", "B"], [])).toBe("A  B\n-  -");
	});
});

describe("formatAge", () => {
	it.each([
		[0, "0s"],
		[59_999, "59s"],
		[60_000, "1m 0s"],
		[3_599_000, "59m 59s"],
		[7_260_000, "2h 1m"],
		[-5, "0s"],
	])("gives %p ms as %p", (ms, text) => {
		expect(formatAge(ms)).toBe(text);
	});
});

describe("the REPL commands", () => {
	it("declare saga, stuck, dlq, redrive and reconcile with their arguments", () => {
		expect(REPL_COMMANDS.map((command) => command.command)).toEqual(["saga <orderId>", "stuck [seconds]", "dlq", "redrive <service>", "reconcile"]);
	});
});
