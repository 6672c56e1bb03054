import { api, call } from "../api/client";
import type { Order } from "../api/types";
import { dateTime, money } from "../components/format";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { useLoad } from "../components/use-load";
import { adminError, inWords } from "./words";

/*
 * Returns to receive (GET /api/admin/orders?returnsToReceive=true): each return a customer asked
 * for whose parcel has not been marked received. "Mark received" (POST
 * /api/admin/orders/:id/returns/:returnId/receive) puts its stock back on sale and refunds it.
 */

function ReturnRow(props: { order: Order; returnId: string; onReceived(): void }) {
	const { order } = props;
	const ret = order.returns!.find((one) => one.id === props.returnId)!;
	const receiving = useAction(adminError);
	const names = new Map(order.items.map((line) => [line.productId, line.name]));
	const what = ret.items.map((line) => `${line.qty} × ${names.get(line.productId) ?? line.productId}`).join(", ");
	return (
		<tr>
			<th scope="row">
				<a href={`/admin/orders/${encodeURIComponent(order.id)}`}>{order.id.slice(0, 8)}</a> {ret.id}
			</th>
			<td>{what}</td>
			<td>
				{money(ret.refundCents, order.currency)}
				{ret.includesShipping ? " (with shipping)" : ""}
			</td>
			<td>{dateTime(ret.requestedAt)}</td>
			<td>
				<button
					type="button"
					class="secondary"
					disabled={receiving.busy}
					onClick={() =>
						void receiving.run(async () => {
							await call(api.POST("/admin/orders/{id}/returns/{returnId}/receive", { params: { path: { id: order.id, returnId: ret.id } } }));
							props.onReceived();
						})
					}
				>
					Mark received<span class="visually-hidden">: {what}</span>
				</button>
				<Alert error={receiving.error} />
			</td>
		</tr>
	);
}

export function ReturnsPage() {
	const orders = useLoad(() => inWords(call(api.GET("/admin/orders", { params: { query: { returnsToReceive: "true", pageSize: 100 } } }))), []);
	const rows = (orders.data?.rows ?? []).flatMap((order) =>
		(order.returns ?? []).filter((ret) => ret.status === "REQUESTED").map((ret) => ({ order, returnId: ret.id })),
	);
	return (
		<>
			<PageTitle title="Returns · Admin">Returns to receive</PageTitle>
			<Alert error={orders.error} />
			{orders.loading && !orders.data ? <Loading what="returns" /> : null}
			{orders.data ? (
				<section aria-label="Returns to receive" aria-busy={orders.loading}>
					<p class="count" role="status">
						{rows.length === 0 ? "No returns to receive." : `${rows.length} return${rows.length === 1 ? "" : "s"} to receive`}
					</p>
					{rows.length > 0 ? (
						<table class="admin-table">
							<caption>Returns asked for, not yet received</caption>
							<thead>
								<tr>
									<th scope="col">Order and return</th>
									<th scope="col">Sent back</th>
									<th scope="col">Refund</th>
									<th scope="col">Asked for</th>
									<th scope="col">Parcel</th>
								</tr>
							</thead>
							<tbody>
								{rows.map((row) => (
									<ReturnRow key={`${row.order.id}-${row.returnId}`} order={row.order} returnId={row.returnId} onReceived={orders.reload} />
								))}
							</tbody>
						</table>
					) : null}
				</section>
			) : null}
		</>
	);
}
