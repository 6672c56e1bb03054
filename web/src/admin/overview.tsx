import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { ApiError } from "../api/errors";
import type { OrderStatus } from "../api/types";
import { Alert, Loading, PageTitle } from "../components/ui";
import { TableScroll } from "./table";
import { adminError, duration, ORDER_STATUS_WORDS } from "./words";

/*
 * A small live overview (GET /api/admin/orders/stats): the orders of a recent window by outcome,
 * and how long their sagas took. Read again every 5 seconds while the page is open and the tab
 * is visible; leaving the page unmounts it, which ends the timer and aborts a read in flight.
 * The numbers are not a live region: a screen reader announcing them every 5 s would drown
 * everything else; "Updated at" tells when they were read.
 */

const REFRESH_MS = 5000;
const WINDOWS = [
	{ seconds: 300, label: "Last 5 minutes" },
	{ seconds: 3600, label: "Last hour" },
	{ seconds: 86_400, label: "Last 24 hours" },
];
const STATUSES = Object.keys(ORDER_STATUS_WORDS) as OrderStatus[];

type Stats = Awaited<ReturnType<typeof loadStats>>;

function loadStats(sinceSeconds: number, signal: AbortSignal) {
	return call(api.GET("/admin/orders/stats", { params: { query: { sinceSeconds } }, signal }));
}

function useStats(sinceSeconds: number) {
	const [stats, setStats] = useState<{ data?: Stats; at?: Date; error?: ApiError }>({});
	useEffect(() => {
		let controller: AbortController | undefined;
		const read = async () => {
			// A hidden tab is not read: nobody looks at it, and the shop has better things to do.
			if (document.hidden || controller) return;
			controller = new AbortController();
			try {
				const data = await loadStats(sinceSeconds, controller.signal);
				setStats({ data, at: new Date() });
			} catch (err) {
				if (err instanceof DOMException && err.name === "AbortError") return;
				// The last numbers stay, marked by the error and their time.
				setStats((previous) => ({ ...previous, error: adminError(err) }));
			} finally {
				controller = undefined;
			}
		};
		void read();
		const timer = window.setInterval(() => void read(), REFRESH_MS);
		const onVisible = () => void read();
		document.addEventListener("visibilitychange", onVisible);
		return () => {
			window.clearInterval(timer);
			document.removeEventListener("visibilitychange", onVisible);
			controller?.abort();
		};
	}, [sinceSeconds]);
	return stats;
}

export function OverviewPage() {
	const [sinceSeconds, setSinceSeconds] = useState(3600);
	const stats = useStats(sinceSeconds);
	const data = stats.data;
	return (
		<>
			<PageTitle title="Overview · Admin">Overview</PageTitle>
			<div class="field inline">
				<label for="overview-window">Orders placed in the</label>
				<select id="overview-window" value={sinceSeconds} onChange={(event) => setSinceSeconds(Number(event.currentTarget.value))}>
					{WINDOWS.map((choice) => (
						<option key={choice.seconds} value={choice.seconds}>
							{choice.label}
						</option>
					))}
				</select>
			</div>
			<Alert error={stats.error ? `${stats.error.message} The numbers below may be out of date.` : undefined} />
			{!data ? (
				stats.error ? null : (
					<Loading what="the overview" />
				)
			) : (
				<>
					<p class="meta">
						Updated at {stats.at?.toLocaleTimeString()}; read again every {REFRESH_MS / 1000} seconds while this page is open.
					</p>
					<div class="overview">
						<section aria-labelledby="outcomes-heading">
							<h2 id="outcomes-heading">Orders by outcome</h2>
							<TableScroll label="Orders by outcome table">
								<table class="admin-table">
									<caption>
										{data.total} order{data.total === 1 ? "" : "s"} since {new Date(data.since).toLocaleString()}
									</caption>
									<thead>
										<tr>
											<th scope="col">Status</th>
											<th scope="col">Orders</th>
										</tr>
									</thead>
									<tbody>
										{STATUSES.map((status) => (
											<tr key={status}>
												<th scope="row">{ORDER_STATUS_WORDS[status]}</th>
												<td>{data.byStatus[status]}</td>
											</tr>
										))}
									</tbody>
								</table>
							</TableScroll>
							<p>
								<a href="/admin/orders?stuck=1">Stuck sagas</a>
							</p>
						</section>
						<section aria-labelledby="saga-heading">
							<h2 id="saga-heading">Saga duration</h2>
							<p class="meta">
								From placed to confirmed or cancelled, over the {data.sagaMs.count} {data.truncated ? "most recent " : ""}orders of the window
								that are settled.
							</p>
							<dl class="figures">
								<div>
									<dt>Median</dt>
									<dd>{duration(data.sagaMs.p50)}</dd>
								</div>
								<div>
									<dt>95th percentile</dt>
									<dd>{duration(data.sagaMs.p95)}</dd>
								</div>
								<div>
									<dt>Longest</dt>
									<dd>{duration(data.sagaMs.max)}</dd>
								</div>
							</dl>
						</section>
					</div>
				</>
			)}
		</>
	);
}
