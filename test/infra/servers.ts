import { spawn } from "node:child_process";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { ROOT, withMongo } from "../../scripts/cluster-lib";

/** Stops or starts one of the servers of `npm run infra:up`, with the ports and INFRA_DIR of this run. */
export function infra(action: "up" | "down", server: "nats" | "kafka" | "mongo"): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn("bash", [path.join(ROOT, "scripts", "infra", `${action}.sh`), server], { stdio: ["ignore", "ignore", "pipe"] });
		let stderr = "";
		child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
		child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`infra ${action} ${server} exited with ${code}:\n${stderr}`))));
	});
}

export interface LoggedEvent {
	topic: string;
	eventId: string;
	type: string;
	correlationId: string;
	headers: Record<string, string>;
}

/** Every message on the topics now, read as an outside observer (a throw-away consumer group). */
export async function readTopics(brokers: string[], topics: string[]): Promise<LoggedEvent[]> {
	const kafka = new Kafka({ clientId: "infra-test-reader", brokers, logLevel: logLevel.NOTHING });
	const admin = kafka.admin();
	await admin.connect();
	const groupId = `infra-test-reader-${randomUUID()}`;
	const consumer = kafka.consumer({ groupId });
	const events: LoggedEvent[] = [];
	try {
		const ends = new Map<string, number>();
		for (const topic of topics)
			for (const p of await admin.fetchTopicOffsets(topic)) if (Number(p.high) > 0) ends.set(`${topic}/${p.partition}`, Number(p.high));
		if (ends.size === 0) return events;
		await consumer.connect();
		await consumer.subscribe({ topics, fromBeginning: true });
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`reading ${topics.join(", ")} did not finish`)), 60_000);
			void consumer
				.run({
					eachMessage: async ({ topic, partition, message }) => {
						const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
						events.push({ topic, eventId: headers["event-id"]!, type: headers["event-type"]!, correlationId: headers["correlation-id"]!, headers });
						const key = `${topic}/${partition}`;
						if (Number(message.offset) + 1 >= (ends.get(key) ?? 0)) ends.delete(key);
						if (ends.size === 0) {
							clearTimeout(timer);
							resolve();
						}
					},
				})
				.catch(reject);
		});
		return events;
	} finally {
		await consumer.disconnect();
		await admin.deleteGroups([groupId]).catch(() => undefined);
		await admin.disconnect();
	}
}

/** What the catalogue's database holds for a product: its stock and the holds of orders not settled. */
export async function storedProduct(mongoUri: string, productId: string): Promise<{ stock: number; holds?: Record<string, number> } | undefined> {
	const [doc] = await withMongo(mongoUri, (client) =>
		client.db("catalogue").collection<{ _id: string; stock: number; holds?: Record<string, number> }>("products").find({ _id: productId }).toArray(),
	);
	return doc;
}

export interface StoredReservation {
	_id: string;
	status: string;
	settled: boolean;
	items: { productId: string; qty: number }[];
	history?: { status: string; at: string; reason: string }[];
}

/** The catalogue's reservations that hold or held a product, read straight from its database. */
export async function storedReservations(mongoUri: string, productId: string): Promise<StoredReservation[]> {
	return withMongo(mongoUri, (client) =>
		client.db("catalogue").collection<StoredReservation>("reservations").find({ "items.productId": productId }).toArray(),
	);
}
