import { api, call } from "../api/client";
import type { Schemas } from "../api/types";
import { money } from "../components/format";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { TableScroll } from "./table";
import { inWords } from "./words";

/*
 * The card processor's books against the shop's payments (GET /api/admin/payments/reconciliation):
 * money the processor holds for no payment of the shop's, a payment the processor holds nothing
 * for, or both with other amounts. The report is made when asked, so "Check again" asks again
 * (after a webhook came late, or a refund went through). The outcome sits in a live region, so
 * a screen reader hears it after each check.
 */

type Report = Schemas["ReconciliationReport"];
type Discrepancy = Report["discrepancies"][number];

const KIND_WORDS: Readonly<Record<Discrepancy["kind"], string>> = {
	PROCESSOR_WITHOUT_PAYMENT: "Money at the processor, no payment in the shop",
	PAYMENT_WITHOUT_PROCESSOR: "A payment in the shop, no money at the processor",
	AMOUNTS_DIFFER: "The amounts differ",
};

const PAYMENT_STATUS_WORDS: Readonly<Record<NonNullable<Discrepancy["paymentStatus"]>, string>> = {
	PENDING: "Pending (stock not yet held)",
	CHARGING: "Charging",
	PROCESSING: "Processing (outcome awaited)",
	ACTION_REQUIRED: "Waiting for the customer's bank (3-D Secure)",
	SETTLED: "Settled",
	DECLINED: "Declined",
	VOIDED: "Voided",
	REFUNDING: "Refunding",
	REFUNDED: "Refunded",
};

function time(iso: string): string {
	// Seconds matter: "Check again" a moment later must show a new time.
	return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

function plural(count: number, one: string): string {
	return `${count} ${one}${count === 1 ? "" : "s"}`;
}

function outcome(report: Report): string {
	const compared = `${plural(report.intents, "processor intent")} and ${plural(report.payments, "payment")} compared`;
	if (report.discrepancies.length === 0) return `The books agree: ${compared}.`;
	const found = report.discrepancies.length === 1 ? "1 discrepancy" : `${report.discrepancies.length} discrepancies`;
	return `${found} found: ${compared}.`;
}

function DiscrepancyRow(props: { row: Discrepancy }) {
	const { row } = props;
	const difference = row.processorCents - row.shopCents;
	return (
		<tr>
			<th scope="row">{KIND_WORDS[row.kind]}</th>
			<td class="id">
				{row.orderId ? (
					<a href={`/admin/orders/${encodeURIComponent(row.orderId)}`} aria-label={`Order ${row.orderId}: its story`}>
						{row.orderId}
					</a>
				) : (
					"none"
				)}
			</td>
			<td class="id">{row.intentId ?? "none"}</td>
			<td>{money(row.processorCents, row.currency)}</td>
			<td>{money(row.shopCents, row.currency)}</td>
			<td>
				{difference > 0 ? "+" : ""}
				{money(difference, row.currency)}
			</td>
			<td>{row.paymentStatus ? PAYMENT_STATUS_WORDS[row.paymentStatus] : "no payment"}</td>
		</tr>
	);
}

export function PaymentsPage() {
	const report = useLoad(() => inWords(call(api.GET("/admin/payments/reconciliation"))), []);
	const data = report.data;
	return (
		<>
			<PageTitle title="Payments · Admin">Payment reconciliation</PageTitle>
			<p>
				The card processor's books compared with the shop's payments: what the processor holds for each order (taken, less refunds) against what its
				payment says.
			</p>
			<p>
				{/* aria-disabled, not disabled: a disabled button drops the keyboard's focus while the check runs. */}
				<button type="button" class="secondary" aria-disabled={report.loading} onClick={() => report.loading || report.reload()}>
					{report.loading && data ? "Checking…" : "Check again"}
				</button>
			</p>
			<Alert error={report.error} />
			{report.loading && !data ? <Loading what="the reconciliation" /> : null}
			{data ? (
				<section aria-label="Reconciliation report" aria-busy={report.loading}>
					{/* The time is in the live region too: a check that finds the same as the last one is still heard. */}
					<div role="status" class="count">
						<p class={data.discrepancies.length === 0 ? "notice" : "alert"}>
							<strong>{outcome(data)}</strong>
						</p>
						<p class="meta">
							Checked <time dateTime={data.checkedAt}>{time(data.checkedAt)}</time>
						</p>
					</div>
					{data.truncated ? <p>The processor holds more intents than one check reads: the oldest were left out of this one.</p> : null}
					{data.discrepancies.length > 0 ? (
						<TableScroll label="Discrepancies table">
							<table class="admin-table">
								<caption>Discrepancies</caption>
								<thead>
									<tr>
										<th scope="col">Kind</th>
										<th scope="col">Order</th>
										<th scope="col">Processor intent</th>
										<th scope="col">At the processor</th>
										<th scope="col">In the shop</th>
										<th scope="col">Difference</th>
										<th scope="col">Payment</th>
									</tr>
								</thead>
								<tbody>
									{data.discrepancies.map((row, index) => (
										<DiscrepancyRow key={`${row.intentId ?? ""}-${row.orderId ?? ""}-${index}`} row={row} />
									))}
								</tbody>
							</table>
						</TableScroll>
					) : null}
				</section>
			) : null}
		</>
	);
}
