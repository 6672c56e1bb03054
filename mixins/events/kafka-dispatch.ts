/*
 * How a node works through what it reads from Kafka without letting one event hold up the rest.
 *
 * kafkajs fetches from a broker, hands the batches to `eachBatch` and fetches again only once
 * every batch of that fetch has been handled; on a single broker that makes a consumer strictly
 * one batch at a time, so one slow handler (a charge, a store that is busy) delays every event the
 * service reads, including those another saga step is waiting for. Instead, `eachBatch` only
 * dispatches: events of one aggregate (one message key of one topic) are handled one after
 * another in offset order, events of different aggregates at once, and an offset is committed
 * once it and every offset before it on its partition has been handled. A node that dies
 * mid-way has committed nothing past what it finished, so the group hands the rest to another
 * replica, which de-duplicates through its inbox.
 */

/** Handled offsets of one partition, committed up to the first one still in hand. */
export class PartitionProgress {
	/** Offsets dispatched and not yet committable, in offset order, with whether each is done. */
	private readonly pending: { offset: bigint; done: boolean }[] = [];
	private committable?: bigint;

	/** Notes a dispatched offset; call the returned function once it is handled. */
	track(offset: string): () => void {
		const entry = { offset: BigInt(offset), done: false };
		this.pending.push(entry);
		return () => {
			entry.done = true;
			while (this.pending[0]?.done) this.committable = this.pending.shift()!.offset + 1n;
		};
	}

	/** The offset to commit now (the next one to read), once per advance; undefined when nothing moved. */
	take(): string | undefined {
		const next = this.committable;
		this.committable = undefined;
		return next === undefined ? undefined : next.toString();
	}

	get inHand(): number {
		return this.pending.length;
	}
}

/** Runs work in order per key and at once across keys, with at most `limit` items in hand. */
export class KeyedQueue {
	private readonly tails = new Map<string, Promise<void>>();
	private inHand = 0;
	private readonly waiting: (() => void)[] = [];
	private readonly idle: (() => void)[] = [];

	/** `onError` hears of work that rejected; the key's later work runs all the same. */
	constructor(
		private readonly limit: number,
		private readonly onError: (err: unknown) => void,
	) {}

	/** Waits while `limit` items are in hand, so a fast topic cannot fill memory. */
	async admit(): Promise<void> {
		while (this.inHand >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
	}

	/** Queues `work` behind the key's earlier work; resolves once it has run, whatever its outcome. */
	run(key: string, work: () => Promise<void>): Promise<void> {
		this.inHand++;
		const previous = this.tails.get(key) ?? Promise.resolve();
		const mine: Promise<void> = previous
			.then(work)
			.catch(this.onError)
			.finally(() => {
				if (this.tails.get(key) === mine) this.tails.delete(key);
				this.inHand--;
				this.waiting.shift()?.();
				if (this.inHand === 0) this.idle.splice(0).forEach((resolve) => resolve());
			});
		this.tails.set(key, mine);
		return mine;
	}

	/** Resolves once nothing is in hand. */
	drained(): Promise<void> {
		return this.inHand === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
	}
}
