import type { Consumer, EachBatchPayload, KafkaMessage } from "kafkajs";
import type { AnyDomainEvent, EventName, TraceCarrier } from "../../contracts";
import { ioCounts } from "../../lib/io-counts";
import { retryDelayMs } from "../../lib/timers";
import type { KafkaConnection } from "./kafka-connection";
import { KeyedQueue, PartitionProgress } from "./kafka-dispatch";
import { replayTopic, type ReplayFrom, type ReplayReport } from "./kafka-replay";
import { consumerGroup, deadLetterTopic, eventHeaders, header, topicFor, traceFromHeaders } from "./kafka-topics";

/*
 * Kafka as the durable event log behind the event mixin, for one service of a node: it publishes
 * through the node's shared connection (kafka-connection.ts; names in kafka-topics.ts) and reads
 * with a consumer group of its own, so its replicas share the partitions; an offset is committed
 * only once the handler has succeeded or the event is stored in the service's inbox for a retry.
 * Events of different aggregates are handled at once, each aggregate's in order (see
 * kafka-dispatch.ts). An operator's replay of a topic reads apart from all this (kafka-replay.ts).
 */

/** How often a node measures its consumer group's lag on the partitions it reads. */
const LAG_INTERVAL_MS = 5000;

/** Events a node has read and not yet handled, at most; past it, it stops fetching. */
const MAX_IN_HAND = 256;

/**
 * How long a partition's commit waits for more of its events to finish, so that one commit
 * covers them all: each commit is a write to Kafka's offsets log. A node that dies meanwhile
 * leaves at most this much more to redeliver, which the inbox recognises.
 */
const COMMIT_GATHER_MS = 50;

/** Waits between attempts at recording an event while the store is down: from 200 ms, doubling, 5 s at most. */
const RECORD_RETRY_MS = { base: 200, max: 5000 };
/**
 * How long a stop waits for the handlers in hand and their commits before it leaves the group
 * anyway. A commit refused during the rebalance that other members' stops begin is retried by
 * kafkajs for up to 30 s, and the node must be gone within its grace period (30 s in compose and
 * Kubernetes, 10 s of which go to finishing requests). What is not committed is delivered again,
 * and the inbox or the aggregate recognises what was handled.
 */
const STOP_SETTLE_MS = 8000;
/**
 * Errors kafkajs gives its consumer up for, though what they report passes. "Group coordinator
 * not found" is what a consumer gets while a restarted broker is still loading the group
 * offsets: the bus starts its consumer again itself, from 1 s, doubling, 30 s at most. kafkajs's
 * retrier wraps it (a KafkaJSNonRetriableError whose cause is the coordinator error), so the whole
 * chain of causes is read.
 */
const RESTARTED_AFTER = new Set(["KafkaJSGroupCoordinatorNotFound"]);

/** Whether the error, or any error it was caused by, is one the bus restarts its consumer after. */
function restartedAfter(error: Error & { cause?: unknown }): boolean {
	for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
		if (RESTARTED_AFTER.has(e.name)) return true;
	}
	return false;
}
const RESTART_MS = { base: 1000, max: 30_000 };

// The replay's types, where admin-actions.ts and the infrastructure tests import them from.
export type { ReplayFrom, ReplayReport } from "./kafka-replay";

export interface KafkaBusOptions {
	/** The node's connection, shared with its other services. */
	connection: KafkaConnection;
	service: string;
	sessionTimeoutMs: number;
	/** Event types this service handles; other messages on its topics are skipped (and committed). */
	handles: EventName[];
	/** Handles an event, or stores it for retry; rejects only if it could not be recorded at all. */
	handle(event: AnyDomainEvent, trace?: TraceCarrier): Promise<void>;
	/** Given, it is told every few seconds how far the group is behind on each partition this node reads. */
	reportLag?(group: string, topic: string, partition: number, lag: number): void;
	log: { info(message: string): void; warn(message: string, err?: unknown): void; error(message: string, err?: unknown): void };
}

export class KafkaBus {
	private consumer?: Consumer;
	private acquired = false;
	private consumerFailure?: Error;
	/** The partitions this node reads, by topic, as of the group's last rebalance. */
	private assignment: Record<string, number[]> = {};
	private lagTimer?: NodeJS.Timeout;
	private measuring = false;
	private stopping = false;
	/** Restarts of the consumer since it last joined its group. */
	private restarts = 0;
	private readonly queue = new KeyedQueue(MAX_IN_HAND, (err) => this.options.log.error("Handling an event from Kafka failed", err));
	/** Per topic and partition, for the group's current generation. */
	private progress = new Map<string, PartitionProgress>();
	/** Commits in flight, one per partition's progress; `again` when it moved meanwhile. */
	private readonly commits = new Map<PartitionProgress, { running: Promise<void>; again: boolean }>();

	constructor(private readonly options: KafkaBusOptions) {}

	private get connection(): KafkaConnection {
		return this.options.connection;
	}

	async start(): Promise<void> {
		await this.connection.acquire();
		this.acquired = true;
		const topics = [...new Set(this.options.handles.map(topicFor))];
		if (topics.length === 0) return;
		this.consumer = this.connection.kafka.consumer({
			groupId: consumerGroup(this.options.service),
			allowAutoTopicCreation: false,
			sessionTimeout: this.options.sessionTimeoutMs,
			heartbeatInterval: Math.max(500, Math.floor(this.options.sessionTimeoutMs / 5)),
		});
		this.consumer.on(this.consumer.events.REQUEST, ({ payload }) => ioCounts.kafkaRequest(payload.apiName));
		this.consumer.on(this.consumer.events.START_BATCH_PROCESS, ({ payload }) => ioCounts.fetched(payload.topic, payload.batchSize));
		this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
			if (payload.restart) return;
			if (restartedAfter(payload.error)) this.restartConsumer(topics, ++this.restarts);
			else this.consumerFailure = payload.error;
		});
		this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
			this.restarts = 0;
			// Kafka hands a partition that comes back from its last commit: track it afresh.
			this.progress = new Map();
			const before = this.assignment;
			this.assignment = payload.memberAssignment;
			// Partitions gone to another node are its to report now.
			for (const [topic, partitions] of Object.entries(before)) {
				for (const partition of partitions) {
					if (!this.assignment[topic]?.includes(partition)) this.options.reportLag?.(consumerGroup(this.options.service), topic, partition, 0);
				}
			}
		});
		await this.consumer.connect();
		await this.consumer.subscribe({ topics, fromBeginning: true });
		await this.runConsumer(topics);
		if (this.options.reportLag) {
			this.lagTimer = setInterval(() => void this.measureLag(), LAG_INTERVAL_MS);
			this.lagTimer.unref();
			void this.measureLag();
		}
	}

	private async runConsumer(topics: string[]): Promise<void> {
		await this.consumer!.run({
			autoCommit: false,
			// Offsets are resolved as events are dispatched, committed as they are handled.
			eachBatchAutoResolve: false,
			partitionsConsumedConcurrently: await this.partitionCount(topics),
			eachBatch: (payload) => this.dispatch(payload),
		});
	}

	/** Starts the consumer again (kafkajs has disconnected it and keeps its subscriptions), until it runs or the bus stops. */
	private restartConsumer(topics: string[], attempt: number): void {
		if (this.stopping) return;
		const wait = retryDelayMs(attempt, RESTART_MS.base, RESTART_MS.max);
		this.options.log.warn(
			`Kafka consumer of ${consumerGroup(this.options.service)} gave up (group coordinator not found); starting it again in ${wait} ms`,
		);
		setTimeout(() => {
			if (this.stopping) return;
			this.consumer!.connect()
				.then(() => this.runConsumer(topics))
				.catch(() => this.restartConsumer(topics, ++this.restarts));
		}, wait).unref();
	}

	/** Lag = the partition's end offset minus the group's committed offset (its start when none). */
	private async measureLag(): Promise<void> {
		if (this.measuring) return;
		this.measuring = true;
		const group = consumerGroup(this.options.service);
		try {
			for (const [topic, partitions] of Object.entries(this.assignment)) {
				if (partitions.length === 0) continue;
				const [ends, [committed]] = await Promise.all([
					this.connection.admin.fetchTopicOffsets(topic),
					this.connection.admin.fetchOffsets({ groupId: group, topics: [topic] }),
				]);
				for (const partition of partitions) {
					const end = ends.find((p) => p.partition === partition);
					if (!end) continue;
					const done = committed?.partitions.find((p) => p.partition === partition)?.offset;
					const from = done === undefined || Number(done) < 0 ? Number(end.low) : Number(done);
					this.options.reportLag!(group, topic, partition, Math.max(0, Number(end.high) - from));
				}
			}
		} catch {
			// Kafka is unreachable: readiness says so; the figures stay as last measured.
		} finally {
			this.measuring = false;
		}
	}

	private async partitionCount(topics: string[]): Promise<number> {
		const metadata = await this.connection.admin.fetchTopicMetadata({ topics });
		return metadata.topics.reduce((sum, topic) => sum + topic.partitions.length, 0);
	}

	/** For liveness: kafkajs restarts its consumer after most errors; one it gave up on needs a new process. */
	async checkConsumer(): Promise<void> {
		if (this.consumerFailure) throw new Error(`Kafka consumer stopped for good: ${this.consumerFailure.message}`);
	}

	/** For readiness: the cluster answers. */
	checkCluster(): Promise<void> {
		return this.connection.checkCluster();
	}

	/**
	 * Resolves once every broker in the quorum has every event (acks: all). One request for them
	 * all; events of one aggregate share a partition, where a batch keeps their order.
	 */
	async publish(events: { event: AnyDomainEvent; trace?: TraceCarrier }[]): Promise<void> {
		const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
		for (const { event, trace } of events) {
			const topic = topicFor(event.type);
			if (!byTopic.has(topic)) byTopic.set(topic, []);
			byTopic.get(topic)!.push({ key: event.aggregateId, value: JSON.stringify(event), headers: eventHeaders(event, trace) });
		}
		if (byTopic.size === 0) return;
		for (const [topic, messages] of byTopic) ioCounts.produced(topic, messages.length);
		await this.connection.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
	}

	/** Stops taking messages, lets the ones in hand finish and commit, then disconnects. */
	async stop(): Promise<void> {
		clearInterval(this.lagTimer);
		this.stopping = true;
		// Still a member of the group, so the last commits count; kafkajs's stop then leaves it.
		const settled = (async () => {
			await this.queue.drained();
			while (this.commits.size > 0) await Promise.all([...this.commits.values()].map((commit) => commit.running));
		})();
		let timer: NodeJS.Timeout | undefined;
		const late = new Promise<true>((resolve) => (timer = setTimeout(() => resolve(true), STOP_SETTLE_MS)));
		if (await Promise.race([settled.then(() => false), late]))
			this.options.log.warn(`Kafka: handlers and offset commits not settled ${STOP_SETTLE_MS} ms into the stop; leaving the group without them`);
		clearTimeout(timer);
		await this.consumer?.stop();
		await this.consumer?.disconnect();
		// Only what this bus acquired: a start that failed to connect holds no share.
		if (this.acquired) {
			this.acquired = false;
			await this.connection.release();
		}
	}

	/** Reads `topic` again for this service's consumer group, its live consumption untouched (kafka-replay.ts). */
	replay(topic: string, from: ReplayFrom, handle: (event: AnyDomainEvent) => Promise<void>, timeoutMs: number): Promise<ReplayReport> {
		return replayTopic(this.options, topic, from, handle, timeoutMs);
	}

	/** Parks an event a handler gave up on, with its error, on its topic's dead-letter topic. */
	async deadLetter(event: AnyDomainEvent, error: string, trace?: TraceCarrier): Promise<void> {
		const topic = topicFor(event.type);
		ioCounts.produced(deadLetterTopic(topic), 1);
		await this.connection.producer.send({
			topic: deadLetterTopic(topic),
			acks: -1,
			messages: [
				{
					key: event.aggregateId,
					value: JSON.stringify(event),
					headers: { ...eventHeaders(event, trace), "dlq-error": error, "dlq-consumer-group": consumerGroup(this.options.service) },
				},
			],
		});
		this.options.log.error(`[${event.correlationId}] ${event.type} ${event.id} dead-lettered to ${deadLetterTopic(topic)}`);
	}

	/** Hands each message of a batch to the queue, in offset order, and returns to fetch more. */
	private async dispatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
		const { topic, partition } = batch;
		const key = `${topic}|${partition}`;
		let progress = this.progress.get(key);
		if (!progress) this.progress.set(key, (progress = new PartitionProgress()));
		const open = () => !this.stopping && isRunning() && !isStale();
		for (const message of batch.messages) {
			if (!open()) return;
			await this.queue.admit();
			// What is not dispatched is not resolved either: it is fetched again, here or on another node.
			if (!open()) return;
			const handled = progress.track(message.offset);
			const owner = progress;
			void this.queue.run(`${topic}|${message.key?.toString("utf8") ?? ""}`, async () => {
				if (await this.handleMessage(message)) {
					handled();
					this.commit(topic, partition, owner);
				}
			});
			resolveOffset(message.offset);
		}
		await heartbeat();
	}

	/**
	 * True once the event is handled or stored in the inbox for a retry (or is not one of ours);
	 * false only when the node stops before it could even be recorded (the store is down): its
	 * offset is then never committed, so the group delivers it again.
	 */
	private async handleMessage(message: KafkaMessage): Promise<boolean> {
		const type = header(message.headers, "event-type") as EventName | undefined;
		if (!type || !this.options.handles.includes(type) || !message.value) return true;
		let event: AnyDomainEvent;
		try {
			event = JSON.parse(message.value.toString()) as AnyDomainEvent;
		} catch (err) {
			// No attempt can ever read it; holding the partition for it would stop every event behind it.
			this.options.log.error(`Skipped a ${type} message that is not JSON at offset ${message.offset}`, err);
			return true;
		}
		const trace = traceFromHeaders(message.headers);
		for (let attempt = 1; ; attempt++) {
			try {
				await this.options.handle(event, trace);
				return true;
			} catch (err) {
				if (this.stopping) return false;
				const wait = retryDelayMs(attempt, RECORD_RETRY_MS.base, RECORD_RETRY_MS.max);
				this.options.log.warn(`[${event.correlationId}] could not record ${event.type} ${event.id}; trying again in ${wait} ms`, err);
				await new Promise((resolve) => setTimeout(resolve, wait));
			}
		}
	}

	/** Commits how far the partition is handled; one commit in flight per partition, the latest position next. */
	private commit(topic: string, partition: number, progress: PartitionProgress): void {
		const inFlight = this.commits.get(progress);
		if (inFlight) {
			inFlight.again = true;
			return;
		}
		const state = { running: Promise.resolve(), again: false };
		state.running = (async () => {
			if (!this.stopping) await new Promise((resolve) => setTimeout(resolve, COMMIT_GATHER_MS));
			do {
				state.again = false;
				const offset = progress.take();
				if (offset === undefined) continue;
				try {
					await this.consumer!.commitOffsets([{ topic, partition, offset }]);
				} catch (err) {
					// The partition went to another node in a rebalance: it reads from the last commit,
					// and its inbox recognises what this node handled since.
					this.options.log.warn(`Could not commit ${topic}[${partition}] at ${offset}: ${(err as Error).message}`);
				}
			} while (state.again);
		})().finally(() => {
			this.commits.delete(progress);
			// Moved between the loop's last look and now.
			if (state.again) this.commit(topic, partition, progress);
		});
		this.commits.set(progress, state);
	}
}
