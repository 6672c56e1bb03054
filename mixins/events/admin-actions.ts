import type { Context, ServiceSchema } from "moleculer";
import type { DeadLetter, EventName, RedriveResult, ShopMeta } from "../../contracts";
import { UnprocessableError } from "../../lib/errors";
import type { DomainEventHandler } from "./envelope";
import type { InboxInternals } from "./inbox";
import type { ReplayReport } from "./kafka-bus";
import { topicFor } from "./kafka-topics";

/*
 * An operator's actions on a service's events (the REPL's `call <service>.deadLetters`; the admin
 * console reads and redrives dead letters through the gateway, which asks for the admin role):
 * the dead letters with their last error; redriving them to their handler once more, e.g. after a
 * fix; and on Kafka, reading a topic again for this service alone, from a time or an offset,
 * handing every event to its handler even if it was handled before. Handlers are idempotent, so a
 * replay rebuilds what a lost or new projection lacks and leaves the rest as it is.
 */

const REPLAY_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * The most ids one redrive names (event ids are UUIDs; 64 characters leave room for others): a
 * list at its limits stays far below the gateway's body limit, so a valid request is never a 413.
 */
export const REDRIVE_MAX_IDS = 100;

export function AdminActionsPart(): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<never, Record<string, never>, InboxInternals>> = {
		actions: {
			/** The events this service gave up on, with their last error. */
			deadLetters: {
				// Published: the admin console reaches it through the gateway's /api/admin/dead-letters routes.
				auth: "admin",
				params: { $$strict: true },
				async handler(this: InboxInternals): Promise<DeadLetter[]> {
					const dead = await this.collections.inbox.find({ query: { status: "DEAD" }, sort: ["receivedAt"], limit: 1000 });
					return dead.map(({ _id, type, attempts, lastError, receivedAt, event }) => ({
						id: _id,
						type,
						attempts,
						lastError,
						receivedAt,
						correlationId: event.correlationId,
					}));
				},
			},

			/** Hands every dead letter (or the ones named) to its handler once more, e.g. after a fix. */
			redriveDeadLetters: {
				auth: "admin",
				params: { $$strict: true, ids: { type: "array", max: REDRIVE_MAX_IDS, items: { type: "string", min: 1, max: 64 }, optional: true } },
				async handler(this: InboxInternals, ctx: Context<{ ids?: string[] }>): Promise<RedriveResult[]> {
					const query: Record<string, unknown> = { status: "DEAD" };
					if (ctx.params.ids) query._id = { $in: ctx.params.ids };
					const dead = await this.collections.inbox.find({ query, sort: ["receivedAt"], limit: 1000 });
					const results: RedriveResult[] = [];
					for (const doc of dead) {
						const now = Date.now();
						const claimed = await this.collections.inbox.update(
							{ _id: doc._id, status: "DEAD" },
							{ $set: { status: "PROCESSING", attempts: 0, claimedAtMs: now } },
						);
						if (claimed !== 1) continue;
						this.logger.info(`[${doc.event.correlationId}] redriving ${doc.type} ${doc._id}`);
						await this.runHandler({ ...doc, status: "PROCESSING", attempts: 0, claimedAtMs: now }, true);
						// Gone once handled, for an event its aggregate records.
						const after = await this.collections.inbox.findOne({ _id: doc._id });
						results.push({
							id: doc._id,
							status: after?.status ?? "DONE",
							...(after?.lastError && after.status !== "DONE" ? { lastError: after.lastError } : {}),
						});
					}
					return results;
				},
			},

			/** Re-reads a Kafka topic for this service's consumer group from a time or an offset. */
			replayEvents: {
				visibility: "public",
				auth: "admin",
				// Reading a long topic again takes longer than an ordinary request may.
				timeout: REPLAY_TIMEOUT_MS + 10_000,
				params: {
					$$strict: true,
					topic: "string",
					fromTime: { type: "date", convert: true, optional: true },
					fromOffset: { type: "number", integer: true, min: 0, convert: true, optional: true },
					partition: { type: "number", integer: true, min: 0, convert: true, optional: true },
				},
				async handler(
					this: InboxInternals,
					ctx: Context<{ topic: string; fromTime?: Date; fromOffset?: number; partition?: number }, ShopMeta>,
				): Promise<ReplayReport> {
					const { topic, fromTime, fromOffset, partition } = ctx.params;
					if (!this.kafkaBus) throw new UnprocessableError("REPLAY_NEEDS_KAFKA", "Events can be replayed only from Kafka (KAFKA_BROKERS is not set)");
					const topics = [...new Set(Object.keys(this.schema.domainEvents ?? {}).map(topicFor))];
					if (!topics.includes(topic)) {
						throw new UnprocessableError("TOPIC_NOT_CONSUMED", `${this.name} reads ${topics.join(", ") || "no topic"}, not ${topic}`);
					}
					if ((fromTime === undefined) === (fromOffset === undefined) || (partition !== undefined && fromOffset === undefined)) {
						throw new UnprocessableError("REPLAY_START_REQUIRED", "Give either fromTime, or fromOffset (with an optional partition)");
					}
					const from = fromTime ? { time: fromTime } : { offset: fromOffset!, ...(partition === undefined ? {} : { partition }) };
					this.logger.info(`replaying ${topic} for ${this.name} from ${fromTime ? fromTime.toISOString() : `offset ${fromOffset}`}`);
					const report = await this.kafkaBus.replay(
						topic,
						from,
						async (event) => {
							const handler = this.schema.domainEvents?.[event.type] as DomainEventHandler<EventName> | undefined;
							await handler!.call(this, event, ctx);
						},
						REPLAY_TIMEOUT_MS,
					);
					this.logger.info(`replayed ${topic} for ${this.name}: ${report.read} read, ${report.handled} handled, ${report.failed.length} failed`);
					return report;
				},
			},
		},
	};
	return schema as unknown as Partial<ServiceSchema>;
}
