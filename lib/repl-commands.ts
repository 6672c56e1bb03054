import type { ServiceBroker } from "moleculer";
import type { AdminListOrdersParams, DeadLetter, ListOrdersResult, OrderTimeline, ReconciliationReport, RedriveResult, TimelineEntry } from "../contracts";

/*
 * The operator's commands at the Moleculer REPL (`npm run repl`, `npm run repl:cluster`), given
 * to the broker as replOptions.customCommands (moleculer.config.ts). Each command is a function
 * of the broker that returns the text to print, so it can be tested against a running shop
 * without a console; the REPL part only parses the arguments and prints.
 *
 *   saga <orderId>      the order's timeline across the services, as a table
 *   stuck [seconds]     PENDING orders placed more than that long ago (default 60)
 *   dlq                 every service's dead letters
 *   redrive <service>   hands a service's dead letters to their handlers once more
 */

export const DEFAULT_STUCK_SECONDS = 60;
/** The most `stuck` lists; the total says how many more there are. */
const STUCK_ROWS = 100;
/** Redriving runs every dead letter's handler, which may take longer than one ordinary call. */
const REDRIVE_TIMEOUT_MS = 120_000;
const MAX_CELL = 100;

type ReplCustomCommand = ServiceBroker.ReplCustomCommand;

/**
 * Columns padded to their widest cell, two spaces apart, the header underlined; each row on one
 * line, a long cell cut unless it is the last (nothing follows it to be pushed aside).
 */
export function formatTable(headers: string[], rows: string[][]): string {
	const cut = (cell: string, column: number) => {
		const line = cell.replace(/\s+/g, " ");
		return line.length > MAX_CELL && column < headers.length - 1 ? `${line.slice(0, MAX_CELL - 1)}…` : line;
	};
	const cells = [headers, ...rows].map((row) => row.map(cut));
	const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
	const line = (row: string[]) =>
		row
			.map((cell, column) => cell.padEnd(widths[column]!))
			.join("  ")
			.trimEnd();
	return [line(cells[0]!), line(widths.map((width) => "-".repeat(width))), ...cells.slice(1).map(line)].join("\n");
}

/** `42s`, `5m 3s`, `2h 10m`: how long ago, for people. */
export function formatAge(ms: number): string {
	const seconds = Math.max(0, Math.floor(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
	return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/** The error type and message of a failed call, on one line. */
function failure(err: unknown): string {
	const { type, message } = (err ?? {}) as { type?: unknown; message?: unknown };
	return [typeof type === "string" ? type : "", typeof message === "string" ? message : String(err)].filter(Boolean).join(": ");
}

function describe(entry: TimelineEntry): string {
	const details = Object.entries(entry.details ?? {}).map(([key, value]) => `${key}=${value}`);
	return details.length > 0 ? `${entry.summary} (${details.join(", ")})` : entry.summary;
}

/** `saga <orderId>`: the order's timeline, each step with its time since the order was placed. */
export async function sagaCommand(broker: ServiceBroker, orderId: string): Promise<string> {
	let timeline: OrderTimeline;
	try {
		timeline = await broker.call<OrderTimeline, { id: string }>("orders.timeline", { id: orderId });
	} catch (err) {
		if ((err as { type?: string }).type === "ORDER_NOT_FOUND") return `No order ${orderId}.`;
		return `Could not read the timeline of order ${orderId}: ${failure(err)}`;
	}
	const start = Date.parse(timeline.entries[0]?.at ?? "");
	const rows = timeline.entries.map((entry) => [
		entry.at,
		`+${((Date.parse(entry.at) - start) / 1000).toFixed(3)}s`,
		entry.service,
		entry.status,
		entry.reason,
		describe(entry),
	]);
	const lines = [
		`Order ${timeline.orderId} of customer ${timeline.customerId}: ${timeline.status}`,
		"",
		formatTable(["AT", "SINCE", "SERVICE", "STATUS", "REASON", "WHAT"], rows),
	];
	if (timeline.missing.length > 0) {
		lines.push("", `Missing (could not be read now): ${timeline.missing.map((gap) => `${gap.service} (${gap.error})`).join(", ")}`);
	}
	return lines.join("\n");
}

/** `stuck [seconds]`: orders placed more than `seconds` ago whose saga has not ended (any step), oldest last. */
export async function stuckCommand(broker: ServiceBroker, seconds = DEFAULT_STUCK_SECONDS, now = new Date()): Promise<string> {
	const page = await broker.call<ListOrdersResult, AdminListOrdersParams>("orders.adminList", {
		open: "true",
		olderThanSeconds: seconds,
		pageSize: STUCK_ROWS,
	});
	if (page.total === 0) return `No order has been in its saga for more than ${seconds}s.`;
	const rows = page.rows.map((order) => [
		order.id,
		order.status,
		order.customerId,
		order.createdAt,
		formatAge(now.getTime() - Date.parse(order.createdAt)),
		`${order.totalCents} ${order.currency}`,
	]);
	const shown = page.total > page.rows.length ? ` (the newest ${page.rows.length} shown)` : "";
	return [
		`${page.total} order(s) in their saga for more than ${seconds}s${shown}:`,
		"",
		formatTable(["ORDER", "STATUS", "CUSTOMER", "PLACED", "AGE", "TOTAL (cents)"], rows),
		"",
		"`saga <orderId>` tells where each one stopped.",
	].join("\n");
}

/** The services whose nodes now offer `<service>.<action>`, by name. */
function servicesWith(broker: ServiceBroker, action: string): string[] {
	return broker.registry
		.getActionList({ onlyAvailable: true, skipInternal: true })
		.map((item) => item.name)
		.filter((name) => name.endsWith(`.${action}`))
		.map((name) => name.slice(0, -action.length - 1))
		.sort();
}

/** `dlq`: every service's dead letters; a service that cannot answer is named, not skipped. */
export async function dlqCommand(broker: ServiceBroker): Promise<string> {
	const services = servicesWith(broker, "deadLetters");
	if (services.length === 0) return "No service that keeps dead letters is available.";
	const rows: string[][] = [];
	const failed: string[] = [];
	await Promise.all(
		services.map(async (service) => {
			try {
				const letters = await broker.call<DeadLetter[], object>(`${service}.deadLetters`, {});
				for (const letter of letters) {
					rows.push([service, letter.type, letter.correlationId, String(letter.attempts), letter.receivedAt, letter.id, letter.lastError ?? ""]);
				}
			} catch (err) {
				failed.push(`${service}: ${failure(err)}`);
			}
		}),
	);
	rows.sort((a, b) => a[0]!.localeCompare(b[0]!) || a[4]!.localeCompare(b[4]!));
	const lines = [
		rows.length === 0
			? `No dead letters in ${services.join(", ")}.`
			: formatTable(["SERVICE", "EVENT", "ORDER", "ATTEMPTS", "RECEIVED", "EVENT ID", "LAST ERROR"], rows),
	];
	if (failed.length > 0) lines.push("", "Could not list:", ...failed.sort().map((line) => `  ${line}`));
	return lines.join("\n");
}

/** `redrive <service>`: the service's dead letters handed to their handlers once more. */
export async function redriveCommand(broker: ServiceBroker, service: string): Promise<string> {
	const services = servicesWith(broker, "redriveDeadLetters");
	if (!services.includes(service)) {
		return `${service} is not a service that keeps dead letters; these do: ${services.join(", ") || "none is available"}.`;
	}
	const results = await broker.call<RedriveResult[], object>(`${service}.redriveDeadLetters`, {}, { timeout: REDRIVE_TIMEOUT_MS });
	if (results.length === 0) return `${service} has no dead letters.`;
	const done = results.filter((result) => result.status === "DONE").length;
	return [
		`${service}: ${results.length} redriven, ${done} handled, ${results.length - done} failed again.`,
		"",
		formatTable(
			["EVENT ID", "STATUS", "LAST ERROR"],
			results.map((result) => [result.id, result.status, result.lastError ?? ""]),
		),
	].join("\n");
}

/** `reconcile`: the card processor's books against the shop's payments, a line per discrepancy. */
export async function reconcileCommand(broker: ServiceBroker): Promise<string> {
	const report = await broker.call<ReconciliationReport, object>("payments.reconcile", {}, { timeout: REDRIVE_TIMEOUT_MS });
	const read = `${report.intents} processor intents and ${report.payments} payments compared${report.truncated ? " (the oldest intents left out)" : ""}`;
	if (report.discrepancies.length === 0) return `The books agree: ${read}.`;
	return [
		`${report.discrepancies.length} discrepancies: ${read}.`,
		"",
		formatTable(
			["KIND", "ORDER", "INTENT", "PROCESSOR", "SHOP", "PAYMENT"],
			report.discrepancies.map((d) => [
				d.kind,
				d.orderId ?? "",
				d.intentId ?? "",
				`${d.processorCents} ${d.currency}`,
				`${d.shopCents} ${d.currency}`,
				d.paymentStatus ?? "",
			]),
		),
	].join("\n");
}

/** What moleculer-repl hands an action: the declared arguments by name (its typings say string[]). */
type ReplArgs = Partial<Record<string, string>>;

/** Prints what the command returns; a failure is printed too, rather than left to the REPL's logger. */
function printing(run: (broker: ServiceBroker, args: ReplArgs) => Promise<string>): ReplCustomCommand["action"] {
	return async (broker, args) => {
		try {
			console.log(await run(broker, args as unknown as ReplArgs));
		} catch (err) {
			console.log(`Failed: ${failure(err)}`);
		}
	};
}

export const REPL_COMMANDS: ReplCustomCommand[] = [
	{
		command: "saga <orderId>",
		description: "An order's whole story across the services, oldest first",
		action: printing((broker, args) => sagaCommand(broker, args.orderId ?? "")),
	},
	{
		command: "stuck [seconds]",
		description: `Orders in their saga (PENDING, AWAITING_PAYMENT or AWAITING_SHIPMENT) for more than [seconds] (default ${DEFAULT_STUCK_SECONDS})`,
		action: printing(async (broker, args) => {
			const text = args.seconds ?? String(DEFAULT_STUCK_SECONDS);
			if (!/^[1-9]\d{0,8}$/.test(text)) return `stuck takes a whole number of seconds, at least 1: stuck ${DEFAULT_STUCK_SECONDS}`;
			return stuckCommand(broker, Number(text));
		}),
	},
	{
		command: "dlq",
		description: "Every service's dead letters: the events a handler gave up on",
		action: printing((broker) => dlqCommand(broker)),
	},
	{
		command: "redrive <service>",
		description: "Hands a service's dead letters to their handlers once more",
		action: printing((broker, args) => redriveCommand(broker, args.service ?? "")),
	},
	{
		command: "reconcile",
		description: "The card processor's books against the shop's payments: money on one side only, or amounts that differ",
		action: printing((broker) => reconcileCommand(broker)),
	},
];
