import { useLocation } from "preact-iso/router";
import { api, call } from "../api/client";
import type { Schemas } from "../api/types";
import { dateTime } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";

/** The emails the shop sent the customer (GET /api/notifications): what a confirmation or a refund told them. */
const KIND_WORDS: Readonly<Record<Schemas["Notification"]["kind"], string>> = {
	"order.confirmed": "Order confirmed",
	"order.cancelled": "Order cancelled",
	"payment.refunded": "Payment refunded",
	"shipment.dispatched": "Parcel on its way",
	"shipment.delivered": "Parcel delivered",
};

export function NotificationsPage() {
	const query: Query = useLocation().query;
	const requested = Number(query.page ?? "1");
	const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
	const notifications = useLoad(() => call(api.GET("/notifications", { params: { query: { page, pageSize: 20 } } })), [page]);
	return (
		<>
			<PageTitle title="Notifications">Notifications</PageTitle>
			<Alert error={notifications.error} />
			{!notifications.data && !notifications.error ? <Loading what="your notifications" /> : null}
			{notifications.data && notifications.data.total === 0 ? (
				<p>No emails yet: the shop writes when an order is confirmed, cancelled, refunded, shipped or delivered.</p>
			) : null}
			{notifications.data && notifications.data.rows.length > 0 ? (
				<>
					<ul class="notifications">
						{notifications.data.rows.map((notification) => (
							<li key={notification.id}>
								<strong>{KIND_WORDS[notification.kind]}</strong>: {notification.subject}{" "}
								<span class="meta">
									{dateTime(notification.createdAt)} · to {notification.to} ·{" "}
									<a href={`/orders/${encodeURIComponent(notification.orderId)}`}>the order</a>
								</span>
							</li>
						))}
					</ul>
					<Pager
						page={notifications.data.page}
						totalPages={notifications.data.totalPages}
						href={(next) => withQuery("/notifications", { page: next > 1 ? next : undefined })}
					/>
					<button type="button" class="secondary" onClick={notifications.reload}>
						Check again
					</button>
				</>
			) : null}
		</>
	);
}
