import { jsonLogLine } from "./logging";

const NOW = new Date("2026-11-22T10:00:00.000Z");

describe("jsonLogLine", () => {
	it("puts the node, the service and what the work is about beside the message", () => {
		const line = jsonLogLine(
			"info",
			"stock reserved",
			{ nodeID: "node-1", mod: "catalogue", svc: "catalogue" },
			{ requestId: "req-1", traceId: "t".repeat(32), spanId: "s", orderId: "order-1" },
			NOW,
		);
		expect(line).toEqual({
			time: "2026-11-22T10:00:00.000Z",
			level: "info",
			nodeID: "node-1",
			service: "catalogue",
			requestId: "req-1",
			traceId: "t".repeat(32),
			orderId: "order-1",
			msg: "stock reserved",
		});
	});

	it("names the module when no service logs, and leaves out what is not known", () => {
		const line = jsonLogLine("warn", "starting", { nodeID: "node-1", mod: "broker" }, undefined, NOW);
		expect(line).toEqual({ time: "2026-11-22T10:00:00.000Z", level: "warn", nodeID: "node-1", service: "broker", msg: "starting" });
		expect(JSON.stringify(line)).not.toContain("requestId");
	});
});
