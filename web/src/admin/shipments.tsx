import { useLocation } from "preact-iso/router";
import { api, call } from "../api/client";
import type { Schemas } from "../api/types";
import { dateTime } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";
import { TableScroll } from "./table";
import { inWords } from "./words";

/*
 * The parcels (GET /api/admin/shipments), newest first, narrowed by status: those the carrier
 * is booking, labelled, on their way, delivered, refused or voided. Each links to its order's
 * timeline, where the shipment's steps sit among the saga's.
 */

type Shipment = Schemas["Shipment"];
type ShipmentStatus = Shipment["status"];

const STATUS_WORDS: Readonly<Record<ShipmentStatus, string>> = {
	PENDING: "Waiting to be booked",
	BOOKING: "Booking with the carrier",
	LABELLED: "Labelled",
	IN_TRANSIT: "In transit",
	DELIVERED: "Delivered",
	REFUSED: "Refused by the carrier",
	VOIDED: "Voided (order cancelled)",
};
const STATUSES = Object.keys(STATUS_WORDS) as ShipmentStatus[];

export function ShipmentsPage() {
	const location = useLocation();
	const query: Query = location.query;
	const asked = query.status ?? "";
	const status = STATUSES.includes(asked as ShipmentStatus) ? (asked as ShipmentStatus) : undefined;
	const requested = Number(query.page ?? "1");
	const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
	const shipments = useLoad(
		() => inWords(call(api.GET("/admin/shipments", { params: { query: { page, pageSize: 25, ...(status ? { status } : {}) } } }))),
		[status, page],
	);

	return (
		<>
			<PageTitle title="Shipments · Admin">Shipments</PageTitle>
			<div class="filters">
				<div class="field">
					<label for="shipment-status">Status</label>
					<select
						id="shipment-status"
						value={status ?? ""}
						onChange={(event) => location.route(withQuery("/admin/shipments", { status: event.currentTarget.value || undefined }))}
					>
						<option value="">Any</option>
						{STATUSES.map((value) => (
							<option key={value} value={value}>
								{STATUS_WORDS[value]}
							</option>
						))}
					</select>
				</div>
			</div>
			<Alert error={shipments.error} />
			{shipments.loading && !shipments.data ? <Loading what="shipments" /> : null}
			{shipments.data ? (
				<section aria-label="Shipments found" aria-busy={shipments.loading}>
					<p class="count" role="status">
						{shipments.data.total === 0 ? "No shipments." : `${shipments.data.total} shipment${shipments.data.total === 1 ? "" : "s"}`}
					</p>
					{shipments.data.rows.length > 0 ? (
						<TableScroll label="Shipments table">
							<table class="admin-table">
								<caption>Shipments{status ? `: ${STATUS_WORDS[status]}` : ""}</caption>
								<thead>
									<tr>
										<th scope="col">Order</th>
										<th scope="col">Status</th>
										<th scope="col">Option</th>
										<th scope="col">To</th>
										<th scope="col">Weight</th>
										<th scope="col">Tracking</th>
										<th scope="col">Updated</th>
									</tr>
								</thead>
								<tbody>
									{shipments.data.rows.map((shipment) => (
										<tr key={shipment.orderId}>
											<th scope="row">
												<a href={`/admin/orders/${encodeURIComponent(shipment.orderId)}`}>{shipment.orderId.slice(0, 8)}</a>
											</th>
											<td>
												{STATUS_WORDS[shipment.status]}
												{shipment.refusedReason ? ` (${shipment.refusedReason})` : ""}
											</td>
											<td>{shipment.optionId}</td>
											<td>
												{shipment.destination.country} {shipment.destination.postalCode}
											</td>
											<td>{(shipment.weightGrams / 1000).toFixed(1)} kg</td>
											<td>{shipment.tracking ? `${shipment.tracking.trackingNumber} (${shipment.tracking.carrier})` : "none yet"}</td>
											<td>{dateTime(shipment.updatedAt)}</td>
										</tr>
									))}
								</tbody>
							</table>
						</TableScroll>
					) : null}
					<Pager
						page={shipments.data.page}
						totalPages={shipments.data.totalPages}
						href={(next) => withQuery("/admin/shipments", { status, page: next > 1 ? next : undefined })}
					/>
				</section>
			) : null}
		</>
	);
}
