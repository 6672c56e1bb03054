import type { AddressInfo } from "node:net";
import { alertLines, createAlertReceiver, InvalidNotification, parseNotification, type Notification } from "./alert-receiver";

/** A notification as Alertmanager's webhook sends it (version 4). */
function webhookBody(status: "firing" | "resolved", service = "payments") {
	return {
		version: "4",
		groupKey: '{}:{alertname="ServiceWithoutReplica"}',
		truncatedAlerts: 0,
		status,
		receiver: "alert-receiver",
		groupLabels: { alertname: "ServiceWithoutReplica" },
		commonLabels: { alertname: "ServiceWithoutReplica", service, severity: "critical" },
		commonAnnotations: { summary: `No replica of ${service}` },
		externalURL: "http://alertmanager:9093",
		alerts: [
			{
				status,
				labels: { alertname: "ServiceWithoutReplica", service, severity: "critical" },
				annotations: { summary: `No replica of ${service}`, runbook_url: "https://example.com/runbook" },
				startsAt: "2025-01-01T00:00:00Z",
				endsAt: status === "resolved" ? "2025-01-01T00:01:00Z" : "0001-01-01T00:00:00Z",
				generatorURL: "http://prometheus:9090/graph",
				fingerprint: "a1b2c3",
			},
		],
	};
}

describe("parseNotification", () => {
	it("takes Alertmanager's webhook body: the group's status and each alert's status, labels and annotations", () => {
		const at = new Date("2025-01-01T00:00:05Z");
		const notification = parseNotification(webhookBody("firing"), at);
		expect(notification).toEqual({
			receivedAt: "2025-01-01T00:00:05.000Z",
			status: "firing",
			receiver: "alert-receiver",
			groupKey: '{}:{alertname="ServiceWithoutReplica"}',
			groupLabels: { alertname: "ServiceWithoutReplica" },
			truncatedAlerts: 0,
			alerts: [
				{
					status: "firing",
					labels: { alertname: "ServiceWithoutReplica", service: "payments", severity: "critical" },
					annotations: { summary: "No replica of payments", runbook_url: "https://example.com/runbook" },
					startsAt: "2025-01-01T00:00:00Z",
					endsAt: "0001-01-01T00:00:00Z",
					generatorURL: "http://prometheus:9090/graph",
					fingerprint: "a1b2c3",
				},
			],
		});
	});

	it.each([
		["not an object", [], /not a JSON object/],
		["no alerts", { status: "firing" }, /alerts is not a list/],
		["an alert without alertname", { ...webhookBody("firing"), alerts: [{ status: "firing", labels: { service: "x" } }] }, /no alertname/],
		["a label that is no string", { ...webhookBody("firing"), alerts: [{ status: "firing", labels: { alertname: "A", n: 1 } }] }, /labels\.n/],
		["no status", { ...webhookBody("firing"), status: undefined }, /^status/],
	])("refuses %s", (_, body, reason) => {
		expect(() => parseNotification(body)).toThrow(InvalidNotification);
		expect(() => parseNotification(body)).toThrow(reason);
	});
});

describe("alertLines", () => {
	it("writes one line per alert: alertname, status, then the other labels sorted", () => {
		const notification = parseNotification({
			...webhookBody("resolved"),
			alerts: [...webhookBody("resolved").alerts, ...webhookBody("resolved", "orders").alerts],
		});
		expect(alertLines(notification)).toEqual([
			'ServiceWithoutReplica resolved service="payments" severity="critical"',
			'ServiceWithoutReplica resolved service="orders" severity="critical"',
		]);
	});
});

describe("the receiver's HTTP server", () => {
	const lines: string[] = [];
	const { server, notifications } = createAlertReceiver({ keep: 3, maxBodyBytes: 4096, log: (line) => lines.push(line) });
	let url = "";
	beforeAll(async () => {
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(async () => {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	});
	const post = (body: string, headers: Record<string, string> = {}) =>
		fetch(`${url}/webhook`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

	it("takes a notification, logs its alerts, and lists it under GET /alerts", async () => {
		const res = await post(JSON.stringify(webhookBody("firing")));
		expect(res.status).toBe(200);
		expect(lines).toEqual(['ServiceWithoutReplica firing service="payments" severity="critical"']);
		const listed = (await (await fetch(`${url}/alerts`)).json()) as Notification[];
		expect(listed).toHaveLength(1);
		expect(listed[0]!.alerts[0]).toMatchObject({ status: "firing", labels: { service: "payments" } });
	});

	it("keeps only the last notifications", async () => {
		for (const service of ["a", "b", "c", "d"]) expect((await post(JSON.stringify(webhookBody("firing", service)))).status).toBe(200);
		const listed = (await (await fetch(`${url}/alerts`)).json()) as Notification[];
		expect(listed.map((n) => n.alerts[0]!.labels.service)).toEqual(["b", "c", "d"]);
		expect(notifications).toHaveLength(3);
	});

	it("answers 400 to what is not a notification and 413 to a body over its bound, keeping neither", async () => {
		const before = notifications.map((n) => n.receivedAt);
		expect((await post("{not json")).status).toBe(400);
		expect((await post(JSON.stringify({ status: "firing" }))).status).toBe(400);
		const large = JSON.stringify({ ...webhookBody("firing"), padding: "x".repeat(8192) });
		expect((await post(large)).status).toBe(413);
		// Sent in chunks, without a length: refused once the bound is passed.
		const chunked = new ReadableStream({
			start(controller) {
				for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
				controller.close();
			},
		});
		const res = await fetch(`${url}/webhook`, { method: "POST", body: chunked, duplex: "half" } as RequestInit);
		expect(res.status).toBe(413);
		expect(notifications.map((n) => n.receivedAt)).toEqual(before);
	});

	it("answers its health check, 404 elsewhere, and 405 to a GET of the webhook", async () => {
		expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
		expect((await fetch(`${url}/nothing`)).status).toBe(404);
		expect((await fetch(`${url}/webhook`)).status).toBe(405);
	});
});
