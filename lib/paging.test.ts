import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, escapeRegExp, pageWindow, toPage } from "./paging";

describe("pageWindow", () => {
	it("starts at page 1 with the default page size when nothing is given", () => {
		expect(DEFAULT_PAGE_SIZE).toBe(20);
		expect(pageWindow()).toEqual({ page: 1, pageSize: 20, limit: 20, offset: 0 });
	});

	it("skips the rows of the earlier pages", () => {
		expect(pageWindow(3, 10)).toEqual({ page: 3, pageSize: 10, limit: 10, offset: 20 });
	});

	it("serves page sizes above the cap at 100", () => {
		expect(MAX_PAGE_SIZE).toBe(100);
		expect(pageWindow(2, 1000)).toEqual({ page: 2, pageSize: 100, limit: 100, offset: 100 });
	});

	it("keeps a page size of exactly 100", () => {
		expect(pageWindow(1, 100).pageSize).toBe(100);
	});

	it("raises a page size below 1 to 1", () => {
		expect(pageWindow(1, 0)).toEqual({ page: 1, pageSize: 1, limit: 1, offset: 0 });
		expect(pageWindow(4, -5)).toEqual({ page: 4, pageSize: 1, limit: 1, offset: 3 });
	});

	it("raises a page below 1 to 1", () => {
		expect(pageWindow(0, 10)).toEqual({ page: 1, pageSize: 10, limit: 10, offset: 0 });
		expect(pageWindow(-3, 10)).toEqual({ page: 1, pageSize: 10, limit: 10, offset: 0 });
	});

	it("drops fractions from page and page size", () => {
		expect(pageWindow(2.9, 10.7)).toEqual({ page: 2, pageSize: 10, limit: 10, offset: 10 });
	});
});

describe("toPage", () => {
	it("reports the rows, total and window with the number of pages rounded up", () => {
		expect(toPage(["a", "b"], 45, pageWindow(3, 20))).toEqual({
			rows: ["a", "b"],
			total: 45,
			page: 3,
			pageSize: 20,
			totalPages: 3,
		});
	});

	it("counts a total that fills pages exactly without an extra page", () => {
		expect(toPage([], 40, pageWindow(1, 20)).totalPages).toBe(2);
	});

	it("reports zero pages when there is nothing", () => {
		expect(toPage([], 0, pageWindow()).totalPages).toBe(0);
	});

	it("uses the clamped page size to count pages", () => {
		expect(toPage([], 250, pageWindow(1, 500))).toMatchObject({ pageSize: 100, totalPages: 3 });
	});
});

describe("escapeRegExp", () => {
	it("escapes every regular expression special character", () => {
		expect(escapeRegExp(".*+?^${}()|[]\\")).toBe("\\.\\*\\+\\?\\^\\$\\{\\}\\(\\)\\|\\[\\]\\\\");
	});

	it("leaves ordinary text alone", () => {
		expect(escapeRegExp("Plain text 123")).toBe("Plain text 123");
	});

	it("makes a pattern that matches the text literally", () => {
		const text = "c++ (2nd ed.) [new] $5 a|b ^x \\y";
		const pattern = new RegExp(`^${escapeRegExp(text)}$`);
		expect(pattern.test(text)).toBe(true);
		expect(pattern.test("cc (2nd edX) [new] $5 a|b ^x \\y")).toBe(false);
	});

	it("turns a dot into a literal dot rather than any character", () => {
		expect(new RegExp(escapeRegExp("a.c")).test("abc")).toBe(false);
		expect(new RegExp(escapeRegExp("a.c")).test("a.c")).toBe(true);
	});
});
