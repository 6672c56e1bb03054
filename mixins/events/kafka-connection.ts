import { Kafka, logLevel, type Admin, type Producer } from "kafkajs";
import { ioCounts } from "../../lib/io-counts";
import { shopTopics } from "./kafka-topics";
// Before any Kafka client is made: kafkajs 2.2.4 spins a 1 ms timer per idle connection otherwise.
import "../../lib/kafkajs-idle-fix";

/*
 * One Kafka client per node. Every service of a node (all of them in `npm start` with
 * KAFKA_BROKERS set) shares its connections, its idempotent producer and its admin client; each
 * service keeps a consumer of its own, because each reads in a consumer group of its own. The
 * connection opens with the first service that starts and closes when the last one stops.
 */

export interface KafkaConnectionOptions {
	brokers: string[];
	/** Names this node to Kafka (its consumers, its producer), e.g. in a group's member list. */
	clientId: string;
	/** Partitions of a topic this node has to create; dead-letter topics get one. */
	topicPartitions: number;
	log: { info(message: string): void };
}

export class KafkaConnection {
	readonly kafka: Kafka;
	readonly producer: Producer;
	readonly admin: Admin;
	private users = 0;
	private opening?: Promise<void>;
	private closing: Promise<void> = Promise.resolve();
	private probe?: Promise<unknown>;

	constructor(private readonly options: KafkaConnectionOptions) {
		this.kafka = new Kafka({
			clientId: options.clientId,
			brokers: options.brokers,
			logLevel: logLevel.NOTHING,
			// Waits capped at 2 s: a broker that comes back is used within seconds, not after a
			// backoff that has grown to half a minute meanwhile.
			retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 8 },
			connectionTimeout: 3000,
		});
		// Idempotent: a retried send after a lost acknowledgement is not written twice.
		this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
		this.admin = this.kafka.admin();
		this.producer.on(this.producer.events.REQUEST, ({ payload }) => ioCounts.kafkaRequest(payload.apiName));
		this.admin.on(this.admin.events.REQUEST, ({ payload }) => ioCounts.kafkaRequest(payload.apiName));
	}

	/** How many services use the connection now. */
	get userCount(): number {
		return this.users;
	}

	/** Opens the connection for one more service (connecting and creating topics for the first). */
	async acquire(): Promise<void> {
		this.users++;
		try {
			await this.closing;
			this.opening ??= this.open();
			await this.opening;
		} catch (err) {
			this.users--;
			// The next service to start tries afresh.
			this.opening = undefined;
			throw err;
		}
	}

	/** One service is done with it; the last one closes it. */
	async release(): Promise<void> {
		if (--this.users > 0) return;
		this.opening = undefined;
		this.closing = (async () => {
			await this.producer.disconnect();
			await this.admin.disconnect();
		})();
		await this.closing;
	}

	private async open(): Promise<void> {
		await this.admin.connect();
		await this.ensureTopics();
		await this.producer.connect();
	}

	/** For readiness: the cluster answers. One question in flight at a time, however many ask. */
	async checkCluster(): Promise<void> {
		this.probe ??= this.admin.describeCluster().finally(() => {
			this.probe = undefined;
		});
		await this.probe;
	}

	/**
	 * Creates the shop's topics that do not exist yet, so a fresh Kafka (a new compose stack, a
	 * managed cluster) needs no set-up step. The replication factor is the broker's default.
	 */
	private async ensureTopics(): Promise<void> {
		const existing = new Set(await this.admin.listTopics());
		const missing = shopTopics().filter((topic) => !existing.has(topic));
		if (missing.length === 0) return;
		try {
			await this.admin.createTopics({
				topics: missing.map((topic) => ({
					topic,
					numPartitions: topic.endsWith(".dlq") ? 1 : this.options.topicPartitions,
					replicationFactor: -1,
				})),
			});
			this.options.log.info(`Created Kafka topics ${missing.join(", ")}`);
		} catch (err) {
			// Nodes starting together race to create the same topics; losing that race is fine.
			if ((err as { type?: string }).type !== "TOPIC_ALREADY_EXISTS") throw err;
		}
	}
}

const connections = new WeakMap<object, KafkaConnection>();

/** The node's connection (keyed by its broker), made by `create` for the first service that asks. */
export function kafkaConnectionOf(node: object, create: () => KafkaConnection): KafkaConnection {
	let connection = connections.get(node);
	if (!connection) connections.set(node, (connection = create()));
	return connection;
}
