import { randomUUID } from "node:crypto";
import { Errors } from "moleculer";
import type { AnyDomainEvent, EventName } from "../../contracts";
import type { KafkaConnection } from "./kafka-connection";
import { consumerGroup, header } from "./kafka-topics";

/*
 * An operator's replay of a topic for one service (admin-actions.ts's replayEvents, through
 * KafkaBus.replay): apart from the bus's live consumption, which it leaves as it is.
 */

/** Where a replay starts: a time, or an offset (on one partition, or on each). */
export type ReplayFrom = { time: Date } | { offset: number; partition?: number };

export interface ReplayReport {
	topic: string;
	consumerGroup: string;
	/** Per partition: the first offset read and the end (exclusive) fixed when the replay began. */
	partitions: { partition: number; from: number; to: number }[];
	read: number;
	handled: number;
	failed: { eventId: string; type: string; error: string }[];
}

/** What a replay reads as: the node's connection, and the service whose group and events it stands for. */
export interface ReplaySource {
	connection: KafkaConnection;
	service: string;
	/** Event types the service handles; the replay hands it only those. */
	handles: EventName[];
}

/**
 * Reads `topic` again for the service's consumer group, from a time or an offset up to where
 * the topic ended when the replay began, and hands each event the service handles to
 * `handle`. The group's own offsets are not touched, so live consumption goes on; the read
 * uses a throw-away group whose offsets are set before it joins, and which is deleted after.
 */
export async function replayTopic(
	source: ReplaySource,
	topic: string,
	from: ReplayFrom,
	handle: (event: AnyDomainEvent) => Promise<void>,
	timeoutMs: number,
): Promise<ReplayReport> {
	const group = `${consumerGroup(source.service)}.replay.${randomUUID()}`;
	const admin = source.connection.admin;
	const consumer = source.connection.kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
	try {
		const ends = await admin.fetchTopicOffsets(topic);
		const starts =
			"time" in from
				? await admin.fetchTopicOffsetsByTimestamp(topic, from.time.getTime())
				: ends
						.filter((p) => from.partition === undefined || p.partition === from.partition)
						.map((p) => ({ partition: p.partition, offset: String(Math.max(from.offset, Number(p.low))) }));
		const partitions = starts
			.map((start) => {
				const end = ends.find((p) => p.partition === start.partition)!;
				// A time after the last message yields -1: nothing to read there.
				const first = Number(start.offset) < 0 ? Number(end.high) : Number(start.offset);
				return { partition: start.partition, from: Math.min(first, Number(end.high)), to: Number(end.high) };
			})
			.sort((a, b) => a.partition - b.partition);
		const report: ReplayReport = { topic, consumerGroup: consumerGroup(source.service), partitions, read: 0, handled: 0, failed: [] };
		const open = new Set(partitions.filter((p) => p.from < p.to).map((p) => p.partition));
		if (open.size === 0) return report;

		await admin.setOffsets({ groupId: group, topic, partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.from) })) });
		await consumer.connect();
		await consumer.subscribe({ topics: [topic] });
		let timer: NodeJS.Timeout | undefined;
		await new Promise<void>((resolve, reject) => {
			timer = setTimeout(
				() =>
					reject(new Errors.MoleculerRetryableError(`Replay of ${topic} did not reach its end in ${timeoutMs} ms`, 504, "REPLAY_TIMED_OUT", report)),
				timeoutMs,
			);
			consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
			consumer
				.run({
					autoCommit: false,
					eachMessage: async ({ partition, message }) => {
						const range = partitions.find((p) => p.partition === partition)!;
						const offset = Number(message.offset);
						if (!open.has(partition) || offset >= range.to) return;
						report.read++;
						const type = header(message.headers, "event-type") as EventName | undefined;
						if (type && source.handles.includes(type) && message.value) {
							const event = JSON.parse(message.value.toString()) as AnyDomainEvent;
							try {
								await handle(event);
								report.handled++;
							} catch (err) {
								report.failed.push({ eventId: event.id, type: event.type, error: err instanceof Error ? err.message : String(err) });
							}
						}
						if (offset + 1 >= range.to) {
							open.delete(partition);
							if (open.size === 0) resolve();
						}
					},
				})
				.catch(reject);
		}).finally(() => clearTimeout(timer));
		return report;
	} finally {
		await consumer.disconnect().catch(() => undefined);
		await admin.deleteGroups([group]).catch(() => undefined);
	}
}
