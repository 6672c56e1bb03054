import { useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { Schemas } from "../api/types";
import { money } from "../components/format";
import { Alert, Loading, Notice, PageError, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { useLoad } from "../components/use-load";
import { withQuery } from "../router";
import { adminError, inWords, ORDER_STATUS_WORDS } from "./words";

/*
 * One order's story across the services (GET /api/admin/orders/:id/timeline): an ordered list,
 * oldest first, each step with its time, the service that took it and what happened. A part
 * that could not be read (its service down) is said in words above the list, so a short story
 * is never mistaken for a whole one. The order can be cancelled from here (the customer's own
 * route, which an admin may use on any order).
 */

type Timeline = Schemas["OrderTimeline"];

const SERVICE_WORDS: Readonly<Record<Timeline["missing"][number]["service"], string>> = {
	orders: "Orders",
	catalogue: "Catalogue (stock)",
	payments: "Payments",
	shipping: "Shipping (carrier)",
	notifications: "Notifications (email)",
};

function time(iso: string): string {
	// Seconds matter here: a saga's steps are often within the same minute.
	return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** An amount in cents (totalCents, amountCents…) as money, in the step's currency when it names one. */
function detailValue(key: string, value: string | number, currency: unknown): string {
	return key.endsWith("Cents") && typeof value === "number" ? money(value, typeof currency === "string" ? currency : undefined) : String(value);
}

/** A detail's name in words: totalCents → "total", providerRef → "provider ref". */
function detailLabel(key: string): string {
	return key
		.replace(/Cents$/, "")
		.replace(/([a-z0-9])([A-Z])/g, "$1 $2")
		.toLowerCase();
}

function Details(props: { details?: Record<string, string | number> }) {
	const entries = Object.entries(props.details ?? {}).filter(([key]) => key !== "currency");
	if (entries.length === 0) return null;
	return (
		<dl class="step-details">
			{entries.map(([key, value]) => (
				<div key={key}>
					<dt>{detailLabel(key)}</dt>
					<dd>{detailValue(key, value, props.details?.currency)}</dd>
				</div>
			))}
		</dl>
	);
}

export function OrderTimelinePage(props: { id: string }) {
	const timeline = useLoad(() => inWords(call(api.GET("/admin/orders/{id}/timeline", { params: { path: { id: props.id } } }))), [props.id]);
	const cancelling = useAction(adminError);
	const [cancelled, setCancelled] = useState(false);

	const cancel = () =>
		cancelling.run(async () => {
			await call(api.POST("/orders/{id}/cancel", { params: { path: { id: props.id } } }));
			setCancelled(true);
			timeline.reload();
		});

	const title = `Order ${props.id.slice(0, 8)}`;
	if (timeline.error) {
		return <PageError title={`${title} · Admin`} heading={title} error={timeline.error} back={{ href: "/admin/orders", label: "All orders" }} />;
	}
	if (!timeline.data) return <Loading what="the order's timeline" />;
	const data = timeline.data;
	return (
		<>
			<PageTitle title={`${title} · Admin`}>{title}</PageTitle>
			<p class="meta">
				Order {data.orderId} · <a href={withQuery("/admin/orders", { customerId: data.customerId })}>the customer's orders</a>
			</p>
			<p class={`status status-${data.status}`} role="status">
				<strong>{ORDER_STATUS_WORDS[data.status]}</strong>
			</p>
			{data.missing.length > 0 ? (
				<div class="alert" role="alert">
					<p>This story is incomplete: some services could not be asked.</p>
					<ul>
						{data.missing.map((gap) => (
							<li key={gap.service}>
								{SERVICE_WORDS[gap.service]}: its steps are missing ({gap.error}). Reload later to see them.
							</li>
						))}
					</ul>
				</div>
			) : null}
			<h2 id="timeline-heading">What happened</h2>
			<ol class="timeline" aria-labelledby="timeline-heading">
				{data.entries.map((entry, index) => (
					<li key={index}>
						<time dateTime={entry.at}>{time(entry.at)}</time>
						<span class="step-service">{SERVICE_WORDS[entry.service]}</span>
						<span class="step-summary">
							{entry.summary}{" "}
							<span class="meta">
								({entry.status}, {entry.reason})
							</span>
						</span>
						<Details details={entry.details} />
					</li>
				))}
			</ol>
			{cancelled ? <Notice>The order is cancelled.</Notice> : null}
			{data.status !== "CANCELLED" ? (
				<p>
					<button type="button" class="secondary" disabled={cancelling.busy} onClick={() => void cancel()}>
						Cancel this order
					</button>
				</p>
			) : null}
			<Alert error={cancelling.error} />
			<p>
				<a href="/admin/orders">All orders</a>
			</p>
		</>
	);
}
