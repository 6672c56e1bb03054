import type { ReplayReport } from "../../mixins/events/kafka-bus";
import { startMailServer, type MailServer } from "../helpers/mail";
import { freePort } from "../helpers/net";
import { waitFor } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { readTopics } from "./servers";
import { Shopper } from "./shopper";

interface DeadLetter {
	id: string;
	type: string;
	attempts: number;
	lastError: string;
	correlationId: string;
}

describe("dead letters and replay on Kafka, through a node attached to the cluster", () => {
	const env = TestCluster.infraEnv();
	const poisoned = `poison-${Date.now()}@example.com`;
	// The mail server refuses this mailbox until the test "fixes" it: the cause of the poison.
	const refused = new Set([poisoned]);
	let mail: MailServer;
	let cluster: TestCluster;

	beforeAll(async () => {
		const smtpPort = await freePort();
		mail = await startMailServer(smtpPort, { refused });
		cluster = new TestCluster({
			SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
			EVENT_MAX_ATTEMPTS: "2",
			EVENT_RETRY_BASE_MS: "100",
		});
		await cluster.startAll();
	});
	afterAll(async () => {
		await cluster?.stopAll();
		await mail?.close();
	});

	it("parks a poison event on the dead-letter topic and, redriven after the cause is gone, handles it once", async () => {
		const startedAt = new Date();
		const shop = await Shopper.signIn(cluster.baseUrl, poisoned);
		const order = await shop.finalOrder((await shop.order(await shop.product(5))).id);
		expect(order.status).toBe("CONFIRMED");
		const repl = await cluster.attach(["notifications"]);

		const dead = await waitFor(
			async () => (await repl.call<DeadLetter[], object>("notifications.deadLetters", {})).filter((letter) => letter.correlationId === order.id),
			(letters) => letters.length > 0,
			60_000,
			200,
		);
		expect(dead).toEqual([expect.objectContaining({ type: "order.confirmed", attempts: 2, lastError: expect.stringMatching(/mailbox unavailable/) })]);
		const parked = (await readTopics(env.KAFKA_BROKERS!.split(","), ["shop.orders.dlq"])).filter((event) => event.eventId === dead[0]!.id);
		expect(parked).toEqual([
			expect.objectContaining({
				type: "order.confirmed",
				correlationId: order.id,
				headers: expect.objectContaining({ "dlq-consumer-group": "shop.notifications", "dlq-error": expect.stringMatching(/mailbox unavailable/) }),
			}),
		]);
		expect(mail.delivered.filter((to) => to === poisoned)).toEqual([]);

		refused.clear();
		expect(await repl.call("notifications.redriveDeadLetters", { ids: [dead[0]!.id] })).toEqual([{ id: dead[0]!.id, status: "DONE" }]);
		expect(mail.delivered.filter((to) => to === poisoned)).toEqual([poisoned]);
		expect(await repl.call("notifications.redriveDeadLetters", { ids: [dead[0]!.id] })).toEqual([]);

		// Replaying the orders topic for notifications hands it every event again; the handler
		// knows which mails went out, so none goes out twice.
		const report = await repl.call<ReplayReport, object>("notifications.replayEvents", { topic: "shop.orders", fromTime: startedAt.toISOString() });
		expect(report).toMatchObject({ topic: "shop.orders", consumerGroup: "shop.notifications", failed: [] });
		expect(report.handled).toBeGreaterThanOrEqual(1);
		expect(mail.delivered.filter((to) => to === poisoned)).toEqual([poisoned]);
		console.log(`dead letter: 1 poison event parked and redriven once; replay read ${report.read} messages, handled ${report.handled}, resent 0 mails`);
	});

	it("refuses to replay a topic the service does not read, or without a starting point", async () => {
		const repl = await cluster.attach(["notifications"]);
		await expect(repl.call("notifications.replayEvents", { topic: "shop.customers", fromOffset: 0 })).rejects.toMatchObject({
			code: 422,
			type: "TOPIC_NOT_CONSUMED",
		});
		await expect(repl.call("notifications.replayEvents", { topic: "shop.orders" })).rejects.toMatchObject({ code: 422, type: "REPLAY_START_REQUIRED" });
	});
});
