import { Kafka, Partitioners, logLevel, type Consumer, type KafkaMessage, type Message, type Producer } from "kafkajs";
// As the shop runs kafkajs: without the spinning idle timer of 2.2.4 (see there).
import "../../lib/kafkajs-idle-fix";
import { header } from "../../mixins/events/kafka-topics";

/*
 * The `http→kafka` baseline: the request path of a request/reply design on Kafka, written
 * directly on kafkajs as `http→nats` is on `nats`. Per HTTP request the front produces the path
 * to a request topic with a correlation id and a reply-to topic in its headers; the responder,
 * a process of its own in a consumer group of its own, produces the same JSON the NATS responder
 * gives to that reply topic; the front reads its reply topic (another group) and completes the
 * pending request by correlation id. One producer per process.
 *
 * Topics and groups are the run's own (createRun before the load, deleteRun after), so neither
 * a message nor a committed offset of an earlier run is ever read.
 *
 * The settings, chosen for latency:
 * - acks 1 (the leader's): replies are worth nothing after their request's 10 s timeout and are
 *   never replayed; a consumer sees a message only once it is replicated (the high watermark)
 *   whatever the producer's acks, so all that acks=all would add is replication time to every
 *   send's acknowledgement, which the next send waits for (below). On infra:up's single broker
 *   the two are the same. Not acks 0: a lost send would then surface only as a 10 s timeout.
 * - kafkajs has no linger.ms and no accumulator: every send() is a produce request of its own,
 *   and a broker handles one request per connection at a time. So each process keeps one send in
 *   flight and sends what was produced meanwhile as the next, one request: linger 0 when idle,
 *   batches under load (much as the Java client batches with linger.ms=0). Same for the
 *   responder's replies, which also never hold up its next fetch. A send per request reached
 *   about half the rate here. No compression: CPU, not bytes, is what is short.
 * - autoCommit off: kafkajs commits after every batch by default, an OffsetCommit round trip
 *   before the next fetch (about half the rate here, with it on). Nothing here needs a committed
 *   offset: a request outlives neither process, and the topics are new, read from their beginning.
 * - minBytes 1 (the default): a fetch returns at the first message, so maxWaitTimeInMs does not
 *   add latency; it is only how long an idle fetch waits. 100 ms instead of 5 s bounds how long
 *   a stop waits for the fetch in flight, for 10 empty fetches a second when idle.
 * - One partition per topic: one responder and one front read them, and kafkajs fetches and
 *   hands over each partition separately; more would only add per-partition overhead.
 */

export interface KafkaRun {
	requests: string;
	replies: string;
	responderGroup: string;
	frontGroup: string;
}

export function kafkaRun(id: string): KafkaRun {
	return { requests: `bench.${id}.requests`, replies: `bench.${id}.replies`, responderGroup: `bench.${id}.responder`, frontGroup: `bench.${id}.front` };
}

function client(clientId: string, brokers: string[]): Kafka {
	return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, connectionTimeout: 3000 });
}

function brokerList(brokers: string): string[] {
	return brokers
		.split(",")
		.map((broker) => broker.trim())
		.filter(Boolean);
}

/**
 * Creates the run's topics. A run writes a reply body per request (hundreds of MB in a long one);
 * with 5 min retention and 64 MiB segments a bench that dies before deleteRun leaves at most a
 * segment per topic once the broker's next retention check has passed.
 */
export async function createRun(brokers: string, id: string): Promise<KafkaRun> {
	const run = kafkaRun(id);
	const admin = client("bench-admin", brokerList(brokers)).admin();
	await admin.connect();
	try {
		const configEntries = [
			{ name: "retention.ms", value: String(5 * 60_000) },
			{ name: "segment.bytes", value: String(64 * 2 ** 20) },
		];
		await admin.createTopics({
			waitForLeaders: true,
			topics: [run.requests, run.replies].map((topic) => ({ topic, numPartitions: 1, replicationFactor: -1, configEntries })),
		});
	} finally {
		await admin.disconnect();
	}
	return run;
}

/**
 * Deletes the run's groups (empty once their processes have left them) and topics. Groups first:
 * deleting a topic has the broker drop the empty groups without offsets itself, which a delete
 * racing it would then not find. A group not found is gone all the same.
 */
export async function deleteRun(brokers: string, run: KafkaRun): Promise<void> {
	const admin = client("bench-admin", brokerList(brokers)).admin();
	await admin.connect();
	try {
		const groups = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
		const ours = [run.responderGroup, run.frontGroup].filter((group) => groups.has(group));
		const GROUP_ID_NOT_FOUND = 69;
		if (ours.length > 0)
			await admin.deleteGroups(ours).catch((err: Error & { groups?: { groupId: string; errorCode: number }[] }) => {
				const left = err.groups?.filter((group) => group.errorCode !== GROUP_ID_NOT_FOUND) ?? [err];
				if (left.length > 0) console.error(`bench: the Kafka groups ${ours.join(" and ")} are left: ${err.message}`);
			});
		await admin.deleteTopics({ topics: [run.requests, run.replies] });
	} finally {
		await admin.disconnect();
	}
}

/** One send in flight per producer; what is produced meanwhile goes out together in the next. */
class Outbox {
	private queue: { topic: string; message: Message; failed(err: Error): void }[] = [];
	private sending = false;

	constructor(private readonly producer: Producer) {}

	push(topic: string, message: Message, failed: (err: Error) => void): void {
		this.queue.push({ topic, message, failed });
		if (!this.sending) void this.flush();
	}

	private async flush(): Promise<void> {
		this.sending = true;
		while (this.queue.length > 0) {
			const batch = this.queue;
			this.queue = [];
			const byTopic = new Map<string, Message[]>();
			for (const { topic, message } of batch) {
				const messages = byTopic.get(topic);
				if (messages) messages.push(message);
				else byTopic.set(topic, [message]);
			}
			try {
				await this.producer.sendBatch({ acks: 1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
			} catch (err) {
				for (const item of batch) item.failed(err as Error);
			}
		}
		this.sending = false;
	}
}

/** Connects a producer (its outbox), and a consumer of `topic` in `groupId` that hands each message to `each`; returns how to stop both. */
async function connect(
	kafka: Kafka,
	groupId: string,
	topic: string,
	each: (message: KafkaMessage, outbox: Outbox) => void,
): Promise<{ outbox: Outbox; stop(): Promise<void> }> {
	const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
	const outbox = new Outbox(producer);
	const consumer: Consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
	const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
	await producer.connect();
	await consumer.connect();
	await consumer.subscribe({ topic, fromBeginning: true });
	await consumer.run({
		autoCommit: false,
		eachBatch: async ({ batch }) => {
			for (const message of batch.messages) each(message, outbox);
		},
	});
	// Joined: the partition is ours, and read from its beginning, so no message can be missed.
	await joined;
	return { outbox, stop: () => Promise.all([consumer.disconnect(), producer.disconnect()]).then(() => undefined) };
}

/** The responder: answers every request on the run's request topic on the reply topic it names. */
export async function kafkaResponder(brokers: string, id: string, answer: (path: string) => Buffer): Promise<() => Promise<void>> {
	const run = kafkaRun(id);
	const { stop } = await connect(client("bench-kafka-responder", brokerList(brokers)), run.responderGroup, run.requests, (message, outbox) => {
		const replyTo = header(message.headers, "reply-to");
		const correlationId = header(message.headers, "correlation-id");
		if (!replyTo || !correlationId) return;
		outbox.push(replyTo, { value: answer(message.value?.toString() ?? "/"), headers: { "correlation-id": correlationId } }, (err) =>
			console.error(`kafka responder: ${err.message}`),
		);
	});
	return stop;
}

/** The front's side: a function that asks the responder for a path's answer through Kafka. */
export async function kafkaFront(brokers: string, id: string, timeoutMs = 10_000): Promise<{ ask(path: string): Promise<Buffer>; stop(): Promise<void> }> {
	const run = kafkaRun(id);
	const pending = new Map<string, { resolve(body: Buffer): void; reject(err: Error): void; timer: NodeJS.Timeout }>();
	const settle = (correlationId: string, outcome: Buffer | Error) => {
		const request = pending.get(correlationId);
		if (!request) return;
		pending.delete(correlationId);
		clearTimeout(request.timer);
		if (outcome instanceof Error) request.reject(outcome);
		else request.resolve(outcome);
	};
	const { outbox, stop } = await connect(client("bench-kafka-front", brokerList(brokers)), run.frontGroup, run.replies, (message) => {
		const correlationId = header(message.headers, "correlation-id");
		if (correlationId) settle(correlationId, message.value ?? Buffer.alloc(0));
	});
	// A counter is unique enough: the reply topic is this front's alone.
	let next = 0;
	return {
		stop,
		ask: (path) =>
			new Promise((resolve, reject) => {
				const correlationId = String(++next);
				const timer = setTimeout(() => settle(correlationId, new Error("no reply in time")), timeoutMs);
				pending.set(correlationId, { resolve, reject, timer });
				outbox.push(run.requests, { value: path, headers: { "correlation-id": correlationId, "reply-to": run.replies } }, (err) =>
					settle(correlationId, err),
				);
			}),
	};
}
