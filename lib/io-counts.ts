/*
 * What a process asks of its stores and of Kafka, counted where the requests leave it: every
 * command sent to a store (by the MongoDB driver's own command monitoring, or by the one store
 * layer NeDB's operations pass through) and the messages produced to and fetched from Kafka (by
 * kafkajs's instrumentation events). The bench reads them from each node's health port
 * (GET /io-counts) before and after a checkout, to say what an order costs in round trips; an
 * operator can read them there too. Counting is a few integer additions per request.
 */

/** Kinds of store command, as the bench reports them. */
export const STORE_KINDS = ["insert", "find", "count", "update", "delete", "other"] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface IoCounts {
	/** Store commands by service (the database's owner), then by kind. */
	store: Record<string, Partial<Record<StoreKind, number>>>;
	kafka: {
		/** Messages handed to the producer, by topic. */
		produced: Record<string, number>;
		/** Messages fetched by this process's consumers, by topic. */
		fetched: Record<string, number>;
		/** Requests sent to the brokers, by Kafka API (Produce, Fetch, OffsetCommit, Heartbeat, ...). */
		requests: Record<string, number>;
	};
}

const counts: IoCounts = { store: {}, kafka: { produced: {}, fetched: {}, requests: {} } };

function add(into: Record<string, number>, key: string, n = 1): void {
	into[key] = (into[key] ?? 0) + n;
}

/** The kind of a MongoDB command by its name, as command monitoring reports it. */
export function kindOfMongoCommand(name: string): StoreKind {
	switch (name) {
		case "insert":
			return "insert";
		case "find":
		case "getMore":
		case "aggregate":
		case "distinct":
			return "find";
		case "count":
			return "count";
		case "update":
		case "findAndModify":
			return "update";
		case "delete":
			return "delete";
		default:
			return "other";
	}
}

export const ioCounts = {
	store(service: string, kind: StoreKind): void {
		add((counts.store[service] ??= {}) as Record<string, number>, kind);
	},
	produced(topic: string, n: number): void {
		add(counts.kafka.produced, topic, n);
	},
	fetched(topic: string, n: number): void {
		add(counts.kafka.fetched, topic, n);
	},
	kafkaRequest(api: string): void {
		add(counts.kafka.requests, api);
	},
	/** A copy of the counts so far (since the process started). */
	snapshot(): IoCounts {
		return structuredClone(counts);
	},
};

/** What `after` counted beyond `before`: the counts of the window between two snapshots. */
export function countsBetween(before: IoCounts, after: IoCounts): IoCounts {
	const minus = (a: Record<string, number>, b: Record<string, number> | undefined): Record<string, number> => {
		const window: Record<string, number> = {};
		for (const [key, n] of Object.entries(a)) {
			const difference = n - (b?.[key] ?? 0);
			if (difference !== 0) window[key] = difference;
		}
		return window;
	};
	return {
		store: Object.fromEntries(
			Object.entries(after.store).map(([service, kinds]): [string, Record<string, number>] => [
				service,
				minus(kinds as Record<string, number>, before.store[service] as Record<string, number> | undefined),
			]),
		),
		kafka: {
			produced: minus(after.kafka.produced, before.kafka.produced),
			fetched: minus(after.kafka.fetched, before.kafka.fetched),
			requests: minus(after.kafka.requests, before.kafka.requests),
		},
	};
}
