import Validator from "fastest-validator";
import { ShopValidator } from "../../lib/validator";
import type { Order, OrderStatus } from "../../contracts";
import { adminListParams, adminOrdersQuery, MAX_AGE_SECONDS, orderStats, sagaDuration, statsQueries } from "./admin-orders";

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

	it("narrows to the orders whose saga has not ended, or to none when a final status is asked for too", () => {
		expect(adminOrdersQuery({ open: "true", olderThanSeconds: 60 }, NOW)).toEqual({
			status: { $in: ["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT"] },
			createdAt: { $lt: "2030-06-01T09:59:00.000Z" },
		});
		expect(adminOrdersQuery({ open: "true", status: "AWAITING_SHIPMENT" }, NOW)).toEqual({ status: "AWAITING_SHIPMENT" });
		expect(adminOrdersQuery({ open: "true", status: "CONFIRMED" }, NOW)).toEqual({ status: { $in: [] } });
		expect(adminOrdersQuery({ open: "false", status: "CONFIRMED" }, NOW)).toEqual({ status: "CONFIRMED" });
	});

	it("narrows to the orders with a return to receive", () => {
		expect(adminOrdersQuery({ returnsToReceive: "true" }, NOW)).toEqual({ returnsToReceive: { $gt: 0 } });
		expect(adminOrdersQuery({ returnsToReceive: "false" }, NOW)).toEqual({});
	});

	it("keeps the largest allowed age a valid date", () => {
		expect(() => adminOrdersQuery({ olderThanSeconds: MAX_AGE_SECONDS }, NOW)).not.toThrow();
	});
});

describe("the adminList params", () => {
	const check = (new ShopValidator() as unknown as Validator).compile(structuredClone(adminListParams) as never);

	it.each([{}, { olderThanSeconds: "60" }, { status: "PENDING", customerId: "c-1", page: "2", pageSize: "5" }, { open: "true", returnsToReceive: "false" }])(
		"accept %p",
		(params) => {
			expect(check({ ...params })).toBe(true);
		},
	);

	it.each([
		{ olderThanSeconds: "0" },
		{ olderThanSeconds: "" },
		{ olderThanSeconds: "1.5" },
		{ olderThanSeconds: String(MAX_AGE_SECONDS + 1) },
		{ olderThanSeconds: "1e300" },
		{ status: "STUCK" },
		{ customerId: "" },
		{ sort: "createdAt" },
		{ open: "1" },
		{ open: "on" },
		{ returnsToReceive: "yes" },
	])("refuse %p", (params) => {
		expect(check({ ...params })).not.toBe(true);
	});
});

const STATS_NOW = new Date("2026-11-30T12:00:00.000Z");
const at = (ms: number) => new Date(Date.parse("2026-11-30T11:00:00.000Z") + ms).toISOString();

function order(status: OrderStatus, settledAfterMs: number[]): Pick<Order, "status" | "createdAt" | "history"> {
	const statuses: OrderStatus[] = ["AWAITING_PAYMENT", status];
	return {
		status,
		createdAt: at(0),
		history: [{ status: "PENDING", at: at(0), reason: "PLACED" }, ...settledAfterMs.map((ms, i) => ({ status: statuses[i]!, at: at(ms), reason: "STEP" }))],
	};
}

const NONE = { PENDING: 0, AWAITING_PAYMENT: 0, AWAITING_SHIPMENT: 0, CONFIRMED: 0, SHIPPED: 0, DELIVERED: 0, CANCELLED: 0 };

describe("sagaDuration", () => {
	it.each<[string, Pick<Order, "status" | "createdAt" | "history">, number | undefined]>([
		["a confirmed order: placed to CONFIRMED", order("CONFIRMED", [40, 250]), 250],
		["a cancelled order: placed to CANCELLED", order("CANCELLED", [40, 900]), 900],
		["an order still awaiting payment has none", { ...order("CONFIRMED", [40]), status: "AWAITING_PAYMENT" }, undefined],
		["a pending order has none", { ...order("CONFIRMED", []), status: "PENDING" }, undefined],
		["a final status missing from the history has none", { ...order("CONFIRMED", [40]), status: "CONFIRMED" }, undefined],
		[
			"a confirmed order cancelled later: placed to CONFIRMED, not to the cancel",
			{
				...order("CONFIRMED", [40, 250]),
				status: "CANCELLED",
				history: [...order("CONFIRMED", [40, 250]).history, { status: "CANCELLED", at: at(60_000), reason: "CUSTOMER_CANCELLED" }],
			},
			250,
		],
		[
			"a delivered order: placed to CONFIRMED, not to the delivery",
			{
				...order("CONFIRMED", [40, 250]),
				status: "DELIVERED",
				history: [
					...order("CONFIRMED", [40, 250]).history,
					{ status: "SHIPPED", at: at(9000), reason: "STEP" },
					{ status: "DELIVERED", at: at(60_000), reason: "STEP" },
				],
			},
			250,
		],
		["an order awaiting its shipment has none", { ...order("CONFIRMED", [40, 90]), status: "AWAITING_SHIPMENT" }, undefined],
		["a clock that went back counts as 0, not less", { ...order("CONFIRMED", [40, 250]), createdAt: at(1000) }, 0],
	])("%s", (_name, given, expected) => {
		expect(sagaDuration(given)).toBe(expected);
	});
});

describe("orderStats", () => {
	it("totals the counts, and takes the nearest-rank median, 95th percentile and maximum of the settled sagas", () => {
		const settled = Array.from({ length: 20 }, (_, i) => order(i % 4 === 0 ? "CANCELLED" : "CONFIRMED", [10, (i + 1) * 100]));
		const stats = orderStats({
			sinceSeconds: 3600,
			now: STATS_NOW,
			byStatus: { ...NONE, PENDING: 2, AWAITING_PAYMENT: 1, CONFIRMED: 15, CANCELLED: 5 },
			settled,
		});
		expect(stats).toEqual({
			sinceSeconds: 3600,
			since: "2026-11-30T11:00:00.000Z",
			total: 23,
			byStatus: { ...NONE, PENDING: 2, AWAITING_PAYMENT: 1, CONFIRMED: 15, CANCELLED: 5 },
			sagaMs: { count: 20, p50: 1000, p95: 1900, max: 2000 },
			truncated: false,
		});
	});

	it("gives nulls, not zeros, when no order settled in the window", () => {
		expect(orderStats({ sinceSeconds: 60, now: STATS_NOW, byStatus: { ...NONE, PENDING: 3 }, settled: [] }).sagaMs).toEqual({
			count: 0,
			p50: null,
			p95: null,
			max: null,
		});
	});

	it("counts shipped and delivered orders as settled when it says the durations were read from them all", () => {
		const stats = orderStats({
			sinceSeconds: 60,
			now: STATS_NOW,
			byStatus: { ...NONE, SHIPPED: 1, DELIVERED: 1 },
			settled: [order("CONFIRMED", [10, 50])],
		});
		expect(stats.truncated).toBe(true);
		expect(stats.total).toBe(2);
	});

	it("says when the durations were read from fewer orders than settled", () => {
		const stats = orderStats({ sinceSeconds: 60, now: STATS_NOW, byStatus: { ...NONE, CONFIRMED: 2 }, settled: [order("CONFIRMED", [10, 50])] });
		expect(stats.truncated).toBe(true);
		expect(stats.sagaMs).toEqual({ count: 1, p50: 50, p95: 50, max: 50 });
	});
});

describe("statsQueries", () => {
	it("counts each status from the window's start, and reads the settled orders of the window", () => {
		const createdAt = { $gte: "2026-11-30T11:00:00.000Z" };
		expect(statsQueries(3600, STATS_NOW)).toEqual({
			byStatus: [
				["PENDING", { status: "PENDING", createdAt }],
				["AWAITING_PAYMENT", { status: "AWAITING_PAYMENT", createdAt }],
				["AWAITING_SHIPMENT", { status: "AWAITING_SHIPMENT", createdAt }],
				["CONFIRMED", { status: "CONFIRMED", createdAt }],
				["SHIPPED", { status: "SHIPPED", createdAt }],
				["DELIVERED", { status: "DELIVERED", createdAt }],
				["CANCELLED", { status: "CANCELLED", createdAt }],
			],
			settled: { createdAt, status: { $in: ["CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"] } },
		});
	});
});
