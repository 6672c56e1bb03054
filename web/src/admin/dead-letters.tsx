import { useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { Schemas } from "../api/types";
import { dateTime } from "../components/format";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { useLoad } from "../components/use-load";
import { TableScroll } from "./table";
import { adminError, inWords } from "./words";

/*
 * The events each service gave up on after its retries (GET /api/admin/dead-letters/:service),
 * with the error of the last attempt, and a redrive (POST …/redrive) for one or all of them once
 * the cause is fixed (a mail server back up). What a redrive did is said in a live region: a
 * letter handled leaves the list; one that failed again stays, with its new error.
 */

const SERVICES = ["catalogue", "orders", "payments", "shipping", "notifications"] as const;
type Service = (typeof SERVICES)[number];

const SERVICE_WORDS: Readonly<Record<Service, string>> = {
	catalogue: "Catalogue",
	orders: "Orders",
	payments: "Payments",
	shipping: "Shipping",
	notifications: "Notifications",
};

// One literal path per service: the generated client types each route on its own.
const list = {
	catalogue: () => api.GET("/admin/dead-letters/catalogue"),
	orders: () => api.GET("/admin/dead-letters/orders"),
	payments: () => api.GET("/admin/dead-letters/payments"),
	shipping: () => api.GET("/admin/dead-letters/shipping"),
	notifications: () => api.GET("/admin/dead-letters/notifications"),
};
const redrive = {
	catalogue: (ids?: string[]) => api.POST("/admin/dead-letters/catalogue/redrive", { body: ids ? { ids } : {} }),
	orders: (ids?: string[]) => api.POST("/admin/dead-letters/orders/redrive", { body: ids ? { ids } : {} }),
	payments: (ids?: string[]) => api.POST("/admin/dead-letters/payments/redrive", { body: ids ? { ids } : {} }),
	shipping: (ids?: string[]) => api.POST("/admin/dead-letters/shipping/redrive", { body: ids ? { ids } : {} }),
	notifications: (ids?: string[]) => api.POST("/admin/dead-letters/notifications/redrive", { body: ids ? { ids } : {} }),
};

function outcomeWords(outcome: Schemas["RedriveResult"][]): string {
	const handled = outcome.filter((row) => row.status === "DONE").length;
	const failed = outcome.filter((row) => row.status !== "DONE");
	if (outcome.length === 0) return "There was nothing to redrive.";
	const parts = [`${handled} handled`];
	if (failed.length > 0) parts.push(`${failed.length} failed again: ${failed.map((row) => row.lastError ?? row.status).join("; ")}`);
	return `Redriven: ${parts.join(", ")}.`;
}

function ServiceDeadLetters(props: { service: Service }) {
	const { service } = props;
	const letters = useLoad(() => inWords(call(list[service]())), [service]);
	const redriving = useAction(adminError);
	const [result, setResult] = useState("");
	const name = SERVICE_WORDS[service];

	const run = (ids?: string[]) => {
		setResult("");
		return redriving.run(async () => {
			setResult(outcomeWords(await call(redrive[service](ids))));
			letters.reload();
		});
	};

	const rows = letters.data ?? [];
	return (
		<section class="dead-letters" aria-labelledby={`dl-${service}`}>
			<h2 id={`dl-${service}`}>{name}</h2>
			<Alert error={letters.error} />
			{letters.loading && !letters.data ? <Loading what={`the dead letters of ${name.toLowerCase()}`} /> : null}
			{/* Always in the page, so a screen reader hears what a redrive did and how many are left. */}
			<div role="status" class="count">
				{result ? <p class="notice">{result}</p> : null}
				{letters.data ? <p>{rows.length === 0 ? "No dead letters." : `${rows.length} dead letter${rows.length === 1 ? "" : "s"}.`}</p> : null}
			</div>
			{rows.length > 0 ? (
				<>
					<TableScroll label={`${name} dead letters table`}>
						<table class="admin-table">
							<caption>Dead letters of {name.toLowerCase()}</caption>
							<thead>
								<tr>
									<th scope="col">Event</th>
									<th scope="col">Last error</th>
									<th scope="col">Attempts</th>
									<th scope="col">Received</th>
									<th scope="col">Correlation id</th>
									<th scope="col">
										<span class="visually-hidden">Action</span>
									</th>
								</tr>
							</thead>
							<tbody>
								{rows.map((row) => (
									<tr key={row.id}>
										<th scope="row">{row.type}</th>
										<td class="error-text">{row.lastError ?? "(no error recorded)"}</td>
										<td>{row.attempts}</td>
										<td>{dateTime(row.receivedAt)}</td>
										<td class="id">{row.correlationId}</td>
										<td>
											<button type="button" class="secondary" disabled={redriving.busy} onClick={() => void run([row.id])}>
												Redrive
												<span class="visually-hidden">
													{" "}
													{row.type} {row.id}
												</span>
											</button>
										</td>
									</tr>
								))}
							</tbody>
						</table>
					</TableScroll>
					<p>
						<button type="button" disabled={redriving.busy} onClick={() => void run()}>
							Redrive all {rows.length} of {name.toLowerCase()}
						</button>
					</p>
				</>
			) : null}
			<Alert error={redriving.error} />
		</section>
	);
}

export function DeadLettersPage() {
	const [round, setRound] = useState(0);
	return (
		<>
			<PageTitle title="Dead letters · Admin">Dead letters</PageTitle>
			<p>
				Events a service could not handle after all its retries. Fix the cause (the error says what failed), then redrive them: each is handled once, as
				if it had just arrived.
			</p>
			<p>
				<button type="button" class="secondary" onClick={() => setRound((value) => value + 1)}>
					Check all services again
				</button>
			</p>
			{SERVICES.map((service) => (
				<ServiceDeadLetters key={`${service}-${round}`} service={service} />
			))}
		</>
	);
}
