import { useLocation } from "preact-iso/router";
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { Order, OrderStatus } from "../api/types";
import { dateTime, money } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";
import { TableScroll } from "./table";
import { age, inWords, ORDER_STATUS_WORDS } from "./words";

/*
 * Every customer's orders (GET /api/admin/orders), narrowed by status, customer and age; the
 * filters are the URL's query, so a view such as "stuck sagas" can be linked to and reloaded.
 * Stuck sagas are orders still in their saga (PENDING, AWAITING_PAYMENT or AWAITING_SHIPMENT)
 * a minute after they were placed (the API's `open` filter), listed oldest first.
 */

const PAGE_SIZE = 25;
export const STUCK_AFTER_SECONDS = 60;
const STATUSES = Object.keys(ORDER_STATUS_WORDS) as OrderStatus[];

interface Filters {
	status: OrderStatus | "";
	customerId: string;
	olderThan: string;
	stuck: boolean;
	page: number;
}

function filtersOf(query: Query): Filters {
	const status = query.status ?? "";
	const page = Number(query.page ?? "1");
	return {
		status: STATUSES.includes(status as OrderStatus) ? (status as OrderStatus) : "",
		customerId: query.customerId ?? "",
		olderThan: query.olderThan ?? "",
		stuck: query.stuck === "1",
		page: Number.isInteger(page) && page >= 1 ? page : 1,
	};
}

function hrefOf(filters: Partial<Filters>): string {
	return withQuery("/admin/orders", {
		status: filters.status,
		customerId: filters.customerId,
		olderThan: filters.olderThan,
		stuck: filters.stuck ? 1 : undefined,
		page: filters.page && filters.page > 1 ? filters.page : undefined,
	});
}

async function loadOrders(filters: Filters): Promise<{ rows: Order[]; total: number; page: number; totalPages: number }> {
	const customerId = filters.customerId.trim() || undefined;
	if (filters.stuck) {
		const page = await call(
			api.GET("/admin/orders", { params: { query: { open: "true", customerId, olderThanSeconds: STUCK_AFTER_SECONDS, pageSize: 100 } } }),
		);
		const rows = [...page.rows].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
		return { rows, total: page.total, page: 1, totalPages: 1 };
	}
	const olderThan = Number(filters.olderThan);
	return call(
		api.GET("/admin/orders", {
			params: {
				query: {
					page: filters.page,
					pageSize: PAGE_SIZE,
					...(filters.status ? { status: filters.status } : {}),
					...(customerId ? { customerId } : {}),
					...(filters.olderThan && Number.isInteger(olderThan) && olderThan > 0 ? { olderThanSeconds: olderThan } : {}),
				},
			},
		}),
	);
}

export function AdminOrdersPage() {
	const { url, query, route } = useLocation();
	const filters = filtersOf(query);
	const [draft, setDraft] = useState(filters);
	useEffect(() => setDraft(filters), [url]);
	const orders = useLoad(() => inWords(loadOrders(filters)), [url]);
	const now = Date.now();

	return (
		<>
			<PageTitle title="Orders · Admin">Orders</PageTitle>
			<form
				class="filters"
				aria-label="Filter orders"
				onSubmit={(event) => {
					event.preventDefault();
					route(hrefOf({ ...draft, stuck: false, page: 1 }));
				}}
			>
				<div class="field">
					<label for="order-status">Status</label>
					<select
						id="order-status"
						value={draft.status}
						onChange={(event) => setDraft({ ...draft, status: event.currentTarget.value as OrderStatus | "" })}
					>
						<option value="">Any status</option>
						{STATUSES.map((status) => (
							<option key={status} value={status}>
								{ORDER_STATUS_WORDS[status]}
							</option>
						))}
					</select>
				</div>
				<div class="field">
					<label for="order-customer">Customer id</label>
					<input id="order-customer" value={draft.customerId} onInput={(event) => setDraft({ ...draft, customerId: event.currentTarget.value })} />
				</div>
				<div class="field">
					<label for="order-older">Older than (seconds)</label>
					<input
						id="order-older"
						type="number"
						min={1}
						value={draft.olderThan}
						onInput={(event) => setDraft({ ...draft, olderThan: event.currentTarget.value })}
					/>
				</div>
				<button type="submit">Show orders</button>
			</form>
			<p class="actions">
				<button type="button" class="secondary" onClick={() => route(hrefOf({ customerId: filters.customerId, stuck: true }))}>
					Stuck sagas (pending or awaiting payment for over {STUCK_AFTER_SECONDS} s)
				</button>{" "}
				<a href="/admin/orders">All orders</a>
			</p>
			<Alert error={orders.error} />
			{orders.loading && !orders.data ? <Loading what="orders" /> : null}
			{orders.data ? (
				<section aria-label="Orders found" aria-busy={orders.loading}>
					<p class="count" role="status">
						{orders.data.total === 0
							? filters.stuck
								? "No stuck sagas: every order older than a minute is settled."
								: "No orders match."
							: `${orders.data.total} order${orders.data.total === 1 ? "" : "s"}${filters.stuck ? " stuck" : ""}`}
					</p>
					{orders.data.rows.length > 0 ? (
						<TableScroll label="Orders table">
							<table class="admin-table">
								<caption>
									{filters.stuck ? "Stuck sagas, oldest first" : filters.status ? `Orders: ${ORDER_STATUS_WORDS[filters.status]}` : "Orders"}
								</caption>
								<thead>
									<tr>
										<th scope="col">Placed</th>
										<th scope="col">Status</th>
										<th scope="col">Total</th>
										<th scope="col">Customer</th>
										<th scope="col">Age</th>
									</tr>
								</thead>
								<tbody>
									{orders.data.rows.map((order) => (
										<tr key={order.id}>
											<th scope="row">
												<a href={`/admin/orders/${encodeURIComponent(order.id)}`}>
													{dateTime(order.createdAt)}
													<span class="visually-hidden"> order {order.id}</span>
												</a>
											</th>
											<td>{ORDER_STATUS_WORDS[order.status]}</td>
											<td>{money(order.totalCents, order.currency)}</td>
											<td>
												<a href={hrefOf({ customerId: order.customerId })}>
													<span class="visually-hidden">Orders of customer </span>
													{order.customerId.slice(0, 8)}
												</a>
											</td>
											<td>{age(order.createdAt, now)}</td>
										</tr>
									))}
								</tbody>
							</table>
						</TableScroll>
					) : null}
					<Pager page={orders.data.page} totalPages={orders.data.totalPages} href={(page) => hrefOf({ ...filters, page })} />
				</section>
			) : null}
		</>
	);
}
