import { ORDER_STATUSES, type AdminListOrdersParams, type Order, type OrderStats, type OrderStatus } from "../../contracts";
import { idRule, queryFlagRule } from "../../lib/rules";
import { pageParams } from "../../lib/paging";
import { OPEN_STATUSES } from "./order";

/*
 * The operator's list of orders (orders.adminList): every customer's, narrowed by status,
 * customer and age, e.g. in its saga for more than a minute: a saga that is stuck. And the console's
 * overview (orders.stats): orders by outcome and how long their sagas took, over a recent window,
 * read from the orders themselves, so that every replica answers the same.
 */

/** Ten years: bounds the age so that `now - age` is always a date a store can compare. */
export const MAX_AGE_SECONDS = 10 * 365 * 24 * 3600;

export const adminListParams = {
	$$strict: true,
	...pageParams,
	status: { type: "enum", values: [...ORDER_STATUSES], optional: true },
	customerId: { ...idRule, optional: true },
	olderThanSeconds: { type: "number", integer: true, positive: true, max: MAX_AGE_SECONDS, convert: true, optional: true },
	open: queryFlagRule(),
	returnsToReceive: queryFlagRule(),
} as const;

/** The store query for the filters given; ISO times compare as text, so age is a bound on createdAt. */
export function adminOrdersQuery(params: Omit<AdminListOrdersParams, "page" | "pageSize">, now: Date): Record<string, unknown> {
	const query: Record<string, unknown> = {};
	if (params.open === "true")
		query.status = params.status ? (OPEN_STATUSES.includes(params.status) ? params.status : { $in: [] }) : { $in: [...OPEN_STATUSES] };
	else if (params.status) query.status = params.status;
	if (params.customerId) query.customerId = params.customerId;
	if (params.returnsToReceive === "true") query.returnsToReceive = { $gt: 0 };
	if (params.olderThanSeconds !== undefined) query.createdAt = { $lt: new Date(now.getTime() - params.olderThanSeconds * 1000).toISOString() };
	return query;
}

/** A day: the longest window the overview may ask about, so that its counts stay index reads. */
export const MAX_STATS_SECONDS = 24 * 3600;

/** How many settled orders of the window the saga's durations are read from (the most recent). */
export const STATS_SAMPLE = 1000;

export const statsParams = {
	$$strict: true,
	sinceSeconds: { type: "number", integer: true, positive: true, max: MAX_STATS_SECONDS, convert: true, optional: true, default: 3600 },
} as const;

/** The statuses of orders whose saga has ended: confirmed (then shipped, delivered) or cancelled. */
const SETTLED: readonly OrderStatus[] = ORDER_STATUSES.filter((status) => !OPEN_STATUSES.includes(status));
/** The changes that end a saga. */
const SAGA_ENDS: readonly OrderStatus[] = ["CONFIRMED", "CANCELLED"];

/**
 * How long the order's saga took, in ms: from placed to the first change that settled it. A
 * confirmed order cancelled or shipped later, or a refund noted after a cancel, is a step after its saga.
 */
export function sagaDuration(order: Pick<Order, "status" | "createdAt" | "history">): number | undefined {
	if (!SETTLED.includes(order.status)) return undefined;
	const settled = order.history.find((change) => SAGA_ENDS.includes(change.status));
	if (!settled) return undefined;
	return Math.max(0, Date.parse(settled.at) - Date.parse(order.createdAt));
}

/** The value below which `fraction` of the sorted values lie (nearest rank). */
function percentile(sorted: number[], fraction: number): number | null {
	if (sorted.length === 0) return null;
	return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** The overview's figures: counts by status (exact) and the saga's durations over the sample of settled orders. */
export function orderStats(input: {
	sinceSeconds: number;
	now: Date;
	byStatus: Record<OrderStatus, number>;
	settled: Pick<Order, "status" | "createdAt" | "history">[];
}): OrderStats {
	const durations = input.settled.map(sagaDuration).filter((ms): ms is number => ms !== undefined);
	durations.sort((a, b) => a - b);
	const settledCount = SETTLED.reduce((sum, status) => sum + input.byStatus[status], 0);
	return {
		sinceSeconds: input.sinceSeconds,
		since: new Date(input.now.getTime() - input.sinceSeconds * 1000).toISOString(),
		total: ORDER_STATUSES.reduce((sum, status) => sum + input.byStatus[status], 0),
		byStatus: input.byStatus,
		sagaMs: { count: durations.length, p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), max: durations.at(-1) ?? null },
		truncated: settledCount > input.settled.length,
	};
}

/** The store queries behind orders.stats: one count per status, and the most recent settled orders. */
export function statsQueries(sinceSeconds: number, now: Date): { byStatus: [OrderStatus, Record<string, unknown>][]; settled: Record<string, unknown> } {
	const createdAt = { $gte: new Date(now.getTime() - sinceSeconds * 1000).toISOString() };
	return {
		byStatus: ORDER_STATUSES.map((status) => [status, { status, createdAt }]),
		settled: { createdAt, status: { $in: [...SETTLED] } },
	};
}
