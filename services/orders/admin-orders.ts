import type { AdminListOrdersParams, OrderStatus } from "../../contracts";
import { idRule } from "../../lib/rules";
import { pageParams } from "../../lib/paging";

/*
 * The operator's list of orders (orders.adminList): every customer's, narrowed by status,
 * customer and age, e.g. PENDING for more than a minute, a saga that is stuck.
 */

const ORDER_STATUSES: OrderStatus[] = ["PENDING", "AWAITING_PAYMENT", "CONFIRMED", "CANCELLED"];

/** Ten years: bounds the age so that `now - age` is always a date a store can compare. */
export const MAX_AGE_SECONDS = 10 * 365 * 24 * 3600;

export const adminListParams = {
	$$strict: true,
	...pageParams,
	status: { type: "enum", values: ORDER_STATUSES, optional: true },
	customerId: { ...idRule, optional: true },
	olderThanSeconds: { type: "number", integer: true, positive: true, max: MAX_AGE_SECONDS, convert: true, optional: true },
} as const;

/** The store query for the filters given; ISO times compare as text, so age is a bound on createdAt. */
export function adminOrdersQuery(params: Omit<AdminListOrdersParams, "page" | "pageSize">, now: Date): Record<string, unknown> {
	const query: Record<string, unknown> = {};
	if (params.status) query.status = params.status;
	if (params.customerId) query.customerId = params.customerId;
	if (params.olderThanSeconds !== undefined) query.createdAt = { $lt: new Date(now.getTime() - params.olderThanSeconds * 1000).toISOString() };
	return query;
}
