import { invalidParam } from "./http-io";
import type { PaymentIntent } from "./intent";
import type { ListParams } from "./params";
import type { Refund } from "./refund";
import type { EventRow, Query, Row, Table } from "./store";

/** Stripe's list object. */
export interface ListAnswer<T> {
	object: "list";
	data: T[];
	has_more: boolean;
}

export interface SandboxEvent {
	id: string;
	object: "event";
	type: string;
	created: number;
	/** The intent or refund as it was right after the change. */
	data: { object: PaymentIntent | Refund };
}

/** An event as the events endpoints show it: with how its delivery went. */
export type EventView = SandboxEvent & { delivered: boolean; delivery_attempts: number };

export function eventView(row: EventRow): EventView {
	return { ...(JSON.parse(row.json) as SandboxEvent), delivered: row.delivered, delivery_attempts: row.attempts };
}

/**
 * One page of `table`'s rows matching `filter`, newest first by the shared sequence: no two rows
 * share a place in it, so paging with `starting_after` never skips or repeats one.
 */
export async function pageOf<R extends Row, T>(table: Table<R>, filter: Query, params: ListParams, kind: string, view: (row: R) => T): Promise<ListAnswer<T>> {
	let query = filter;
	if (params.startingAfter !== undefined) {
		const after = await table.get(params.startingAfter);
		if (!after) throw invalidParam("starting_after", `No such ${kind}: '${params.startingAfter}'`);
		query = { ...filter, seq: { $lt: after.seq } };
	}
	const rows = await table.find(query, { seq: -1 }, params.limit + 1);
	return { object: "list", data: rows.slice(0, params.limit).map(view), has_more: rows.length > params.limit };
}
