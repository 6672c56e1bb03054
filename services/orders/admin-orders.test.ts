import Validator from "fastest-validator";
import { ShopValidator } from "../../lib/validator";
import { adminListParams, adminOrdersQuery, MAX_AGE_SECONDS } from "./admin-orders";

const NOW = new Date("2030-06-01T10:00:00.000Z");

describe("adminOrdersQuery", () => {
	it("matches every order when no filter is given", () => {
		expect(adminOrdersQuery({}, NOW)).toEqual({});
	});

	it("narrows by status and customer", () => {
		expect(adminOrdersQuery({ status: "PENDING", customerId: "c-1" }, NOW)).toEqual({ status: "PENDING", customerId: "c-1" });
	});

	it("turns an age into orders created before now minus that many seconds", () => {
		expect(adminOrdersQuery({ status: "PENDING", olderThanSeconds: 60 }, NOW)).toEqual({
			status: "PENDING",
			createdAt: { $lt: "2030-06-01T09:59:00.000Z" },
		});
	});

	it("keeps the largest allowed age a valid date", () => {
		expect(() => adminOrdersQuery({ olderThanSeconds: MAX_AGE_SECONDS }, NOW)).not.toThrow();
	});
});

describe("the adminList params", () => {
	const check = (new ShopValidator() as unknown as Validator).compile(structuredClone(adminListParams) as never);

	it.each([{}, { olderThanSeconds: "60" }, { status: "PENDING", customerId: "c-1", page: "2", pageSize: "5" }])("accept %p", (params) => {
		expect(check({ ...params })).toBe(true);
	});

	it.each([
		{ olderThanSeconds: "0" },
		{ olderThanSeconds: "" },
		{ olderThanSeconds: "1.5" },
		{ olderThanSeconds: String(MAX_AGE_SECONDS + 1) },
		{ olderThanSeconds: "1e300" },
		{ status: "STUCK" },
		{ customerId: "" },
		{ sort: "createdAt" },
	])("refuse %p", (params) => {
		expect(check({ ...params })).not.toBe(true);
	});
});
