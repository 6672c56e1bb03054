import { useLocation } from "preact-iso/router";
import { api, call } from "../api/client";
import { dateTime, money } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";
import { STATUS_WORDS } from "./order";
import { actionUrl, paymentWaitText } from "./payment-step";

export function OrdersPage() {
	const query: Query = useLocation().query;
	const requested = Number(query.page ?? "1");
	const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
	const orders = useLoad(() => call(api.GET("/orders", { params: { query: { page, pageSize: 20 } } })), [page]);
	return (
		<>
			<PageTitle title="Your orders">Your orders</PageTitle>
			<Alert error={orders.error} />
			{!orders.data && !orders.error ? <Loading what="your orders" /> : null}
			{orders.data && orders.data.total === 0 ? (
				<p>
					No orders yet. <a href="/">Browse the catalogue</a>
				</p>
			) : null}
			{orders.data && orders.data.rows.length > 0 ? (
				<>
					<table class="orders">
						<caption class="visually-hidden">Your orders</caption>
						<thead>
							<tr>
								<th scope="col">Placed</th>
								<th scope="col">Items</th>
								<th scope="col">Total</th>
								<th scope="col">Status</th>
							</tr>
						</thead>
						<tbody>
							{orders.data.rows.map((order) => (
								<tr key={order.id}>
									<td>
										<a href={`/orders/${encodeURIComponent(order.id)}`}>{dateTime(order.createdAt)}</a>
									</td>
									<td>{order.items.reduce((sum, item) => sum + item.qty, 0)}</td>
									<td>{money(order.totalCents, order.currency)}</td>
									{/* An order that waits for the customer's bank says so here too: it is theirs to act on. */}
									<td>{paymentWaitText(order.status, actionUrl(order, order.status), false) ?? STATUS_WORDS[order.status]}</td>
								</tr>
							))}
						</tbody>
					</table>
					<Pager
						page={orders.data.page}
						totalPages={orders.data.totalPages}
						href={(next) => withQuery("/orders", { page: next > 1 ? next : undefined })}
					/>
				</>
			) : null}
		</>
	);
}
