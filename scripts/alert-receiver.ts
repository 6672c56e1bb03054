import http from "node:http";
import { parseArgs } from "node:util";

/*
 * The webhook receiver of the compose observability profile: Alertmanager (observability/alertmanager.yml)
 * sends it every notification, firing and resolved. It keeps the last ones in memory, writes a line
 * per alert to stdout (`docker compose logs alert-receiver`), and serves them as JSON:
 *   node dist/scripts/alert-receiver.js [--port 9095] [--keep 200] [--max-body-bytes 1048576]
 *   POST /webhook   Alertmanager's webhook (its JSON, version 4); 200, 400 (not one), 413 (too large)
 *   GET  /alerts    the notifications kept, oldest first
 *   GET  /healthz   {"ok":true}
 * A stand-in for a pager or a chat room: what it holds is gone when it stops.
 */

export interface ReceivedAlert {
	/** "firing" or "resolved", as Alertmanager says of this alert. */
	status: string;
	labels: Record<string, string>;
	annotations: Record<string, string>;
	startsAt: string;
	endsAt: string;
	fingerprint?: string;
	generatorURL?: string;
}

export interface Notification {
	/** When this receiver took it (ISO 8601). */
	receivedAt: string;
	/** The group's status: "firing" while any of its alerts fires, else "resolved". */
	status: string;
	receiver: string;
	groupKey: string;
	groupLabels: Record<string, string>;
	/** Alerts Alertmanager left out of this notification (its max_alerts). */
	truncatedAlerts: number;
	alerts: ReceivedAlert[];
}

export class InvalidNotification extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function stringMap(value: unknown, where: string): Record<string, string> {
	if (value === undefined) return {};
	if (!isObject(value)) throw new InvalidNotification(`${where} is not an object`);
	for (const [key, entry] of Object.entries(value)) if (typeof entry !== "string") throw new InvalidNotification(`${where}.${key} is not a string`);
	return value as Record<string, string>;
}

function text(value: unknown, where: string, required = true): string {
	if (typeof value === "string") return value;
	if (value === undefined && !required) return "";
	throw new InvalidNotification(`${where} is not a string`);
}

/** Alertmanager's webhook body (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config), checked field by field. */
export function parseNotification(body: unknown, receivedAt = new Date()): Notification {
	if (!isObject(body)) throw new InvalidNotification("the body is not a JSON object");
	if (!Array.isArray(body.alerts)) throw new InvalidNotification("alerts is not a list");
	const alerts = body.alerts.map((alert: unknown, i): ReceivedAlert => {
		const where = `alerts[${i}]`;
		if (!isObject(alert)) throw new InvalidNotification(`${where} is not an object`);
		const labels = stringMap(alert.labels, `${where}.labels`);
		if (!labels.alertname) throw new InvalidNotification(`${where} has no alertname label`);
		return {
			status: text(alert.status, `${where}.status`),
			labels,
			annotations: stringMap(alert.annotations, `${where}.annotations`),
			startsAt: text(alert.startsAt, `${where}.startsAt`, false),
			endsAt: text(alert.endsAt, `${where}.endsAt`, false),
			...(typeof alert.fingerprint === "string" && { fingerprint: alert.fingerprint }),
			...(typeof alert.generatorURL === "string" && { generatorURL: alert.generatorURL }),
		};
	});
	return {
		receivedAt: receivedAt.toISOString(),
		status: text(body.status, "status"),
		receiver: text(body.receiver, "receiver", false),
		groupKey: text(body.groupKey, "groupKey", false),
		groupLabels: stringMap(body.groupLabels, "groupLabels"),
		truncatedAlerts: typeof body.truncatedAlerts === "number" ? body.truncatedAlerts : 0,
		alerts,
	};
}

/** One line per alert: `ServiceWithoutReplica firing service="payments" severity="critical"` (alertname, status, the other labels sorted). */
export function alertLines(notification: Notification): string[] {
	return notification.alerts.map((alert) => {
		const { alertname, ...rest } = alert.labels;
		const labels = Object.keys(rest)
			.sort()
			.map((name) => `${name}=${JSON.stringify(rest[name])}`);
		return [alertname, alert.status, ...labels].join(" ");
	});
}

export interface ReceiverOptions {
	/** How many notifications are kept, the oldest dropped first. */
	keep: number;
	/** A larger body is refused (413) without being read further. */
	maxBodyBytes: number;
	log: (line: string) => void;
}

export const DEFAULTS: ReceiverOptions = { keep: 200, maxBodyBytes: 1 << 20, log: (line) => console.log(line) };

/** The receiver's HTTP server, not yet listening; `notifications` is what it keeps. */
export function createAlertReceiver(options: Partial<ReceiverOptions> = {}): { server: http.Server; notifications: Notification[] } {
	const { keep, maxBodyBytes, log } = { ...DEFAULTS, ...options };
	const notifications: Notification[] = [];
	const answer = (res: http.ServerResponse, status: number, body: unknown) => {
		res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
		res.end(JSON.stringify(body));
	};

	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? "/", "http://receiver");
		if (req.method === "GET" && url.pathname === "/healthz") return answer(res, 200, { ok: true });
		if (req.method === "GET" && url.pathname === "/alerts") return answer(res, 200, notifications);
		if (url.pathname !== "/webhook") return answer(res, 404, { error: "not found" });
		if (req.method !== "POST") return answer(res, 405, { error: "POST a notification to /webhook" });
		if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) {
			res.setHeader("connection", "close");
			return answer(res, 413, { error: `the body is larger than ${maxBodyBytes} bytes` });
		}
		const chunks: Buffer[] = [];
		let size = 0;
		let refused = false;
		req.on("data", (chunk: Buffer) => {
			if (refused) return;
			size += chunk.length;
			if (size > maxBodyBytes) {
				refused = true;
				res.setHeader("connection", "close");
				// Read no further than that: the connection goes once the answer is out.
				res.on("finish", () => req.socket.destroy());
				answer(res, 413, { error: `the body is larger than ${maxBodyBytes} bytes` });
				return;
			}
			chunks.push(chunk);
		});
		req.on("end", () => {
			if (refused) return;
			let notification: Notification;
			try {
				notification = parseNotification(JSON.parse(Buffer.concat(chunks).toString("utf8")));
			} catch (err) {
				const reason = err instanceof InvalidNotification || err instanceof SyntaxError ? err.message : String(err);
				log(`refused a notification: ${reason}`);
				return answer(res, 400, { error: reason });
			}
			notifications.push(notification);
			if (notifications.length > keep) notifications.splice(0, notifications.length - keep);
			for (const line of alertLines(notification)) log(line);
			answer(res, 200, { ok: true });
		});
		req.on("error", () => undefined);
	});
	return { server, notifications };
}

function positive(value: string | undefined, name: string, fallback: number): number {
	if (value === undefined) return fallback;
	const number = Number(value);
	if (!Number.isInteger(number) || number <= 0) throw new Error(`--${name} must be a positive integer, not "${value}"`);
	return number;
}

if (require.main === module) {
	const { values } = parseArgs({
		options: {
			port: { type: "string" },
			host: { type: "string" },
			keep: { type: "string" },
			"max-body-bytes": { type: "string" },
		},
	});
	const port = positive(values.port ?? process.env.ALERT_RECEIVER_PORT, "port", 9095);
	const { server } = createAlertReceiver({
		keep: positive(values.keep, "keep", DEFAULTS.keep),
		maxBodyBytes: positive(values["max-body-bytes"], "max-body-bytes", DEFAULTS.maxBodyBytes),
	});
	server.listen(port, values.host ?? "0.0.0.0", () => console.log(`alert-receiver: listening on ${values.host ?? "0.0.0.0"}:${port}`));
	let stopping = false;
	const stop = (signal: NodeJS.Signals) => {
		if (stopping) process.exit(1);
		stopping = true;
		console.log(`alert-receiver: ${signal}, stopping`);
		server.close(() => process.exit(0));
		server.closeIdleConnections();
	};
	process.on("SIGTERM", stop);
	process.on("SIGINT", stop);
}
