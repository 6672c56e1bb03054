import { PassThrough } from "node:stream";
import type { OrderProgress, OrderStatusNotice, StatusChange } from "../../contracts";

/*
 * Live order status for the gateway's Server-Sent Events (GET /api/orders/:id/events). Every
 * gateway node hears each status change once, as a broadcast notice, and writes it to the streams
 * it holds for that order: no store query per client per change. A notice can be lost (its node
 * died between the write and the broadcast) or overtaken (two changes on two orders replicas), so
 * a gap in the sequence, and each heartbeat, make the node read the histories of its open orders
 * in one call and send what its streams missed. An event's id is the change's index in the
 * order's history, so a client that reconnects with Last-Event-ID gets exactly what followed.
 */

/** The saga's ends: a stream stops after sending one. */
const FINAL = new Set(["CONFIRMED", "CANCELLED"]);

/** Tells EventSource clients how long to wait before reconnecting (ms). */
const RECONNECT_MS = 3000;

/** Histories asked for in one call, at most (orders.progress takes 100). */
const CATCH_UP_BATCH = 100;

export interface OrderStreamsOptions {
	maxPerCustomer: number;
	heartbeatMs: number;
	/** The histories of these orders (orders.progress). */
	progress(ids: string[]): Promise<OrderProgress[]>;
	log: { warn(message: string, err?: unknown): void };
}

/** What a stream starts from: the order's history now, and the last event the client has seen, if any. */
export interface StreamStart {
	orderId: string;
	customerId: string;
	history: StatusChange[];
	lastEventId?: number;
}

/** The index of the first final status in a history, or -1. */
export function firstFinal(history: StatusChange[]): number {
	return history.findIndex((change) => FINAL.has(change.status));
}

/** One SSE event: the change at `seq` of order `orderId`. */
export function sseEvent(orderId: string, seq: number, change: StatusChange): string {
	return `id: ${seq}\nevent: status\ndata: ${JSON.stringify({ orderId, ...change })}\n\n`;
}

class OrderStream {
	readonly out = new PassThrough();
	/** The last history index sent. */
	sent: number;

	constructor(
		readonly orderId: string,
		readonly customerId: string,
		after: number,
	) {
		this.sent = after;
	}

	/** Sends what of `history` comes after what was sent; true once the stream has ended. */
	catchUp(history: StatusChange[]): boolean {
		for (let seq = this.sent + 1; seq < history.length; seq++) if (this.send(seq, history[seq]!)) return true;
		return false;
	}

	/** Sends one change if it is the next one; true once the stream has ended. */
	send(seq: number, change: StatusChange): boolean {
		if (seq !== this.sent + 1 || this.out.writableEnded) return this.out.writableEnded;
		this.out.write(sseEvent(this.orderId, seq, change));
		this.sent = seq;
		if (FINAL.has(change.status)) this.out.end();
		return this.out.writableEnded;
	}
}

export class OrderStreams {
	private readonly byOrder = new Map<string, Set<OrderStream>>();
	private readonly perCustomer = new Map<string, number>();
	private readonly timer: NodeJS.Timeout;
	private catchingUp = false;

	constructor(private readonly options: OrderStreamsOptions) {
		this.timer = setInterval(() => void this.beat(), options.heartbeatMs);
		this.timer.unref();
	}

	/** How many streams the customer has open on this node. */
	openFor(customerId: string): number {
		return this.perCustomer.get(customerId) ?? 0;
	}

	/** Whether the customer may open one more stream here. */
	mayOpen(customerId: string): boolean {
		return this.openFor(customerId) < this.options.maxPerCustomer;
	}

	/**
	 * A stream of the order's changes: its history so far, the current status last (after
	 * Last-Event-ID, only what followed it), then each change as it happens, ending after a final
	 * status. Null when the client has already seen the final status: nothing more will come.
	 */
	open(start: StreamStart): PassThrough | null {
		const { orderId, customerId, history, lastEventId } = start;
		const end = firstFinal(history);
		if (lastEventId !== undefined && end >= 0 && lastEventId >= end) return null;
		const after = lastEventId === undefined ? -1 : Math.min(lastEventId, history.length - 1);
		const stream = new OrderStream(orderId, customerId, after);
		stream.out.write(`retry: ${RECONNECT_MS}\n\n`);
		if (stream.catchUp(history)) return stream.out;
		this.hold(stream);
		return stream.out;
	}

	/** A change heard from the orders service, for the streams of that order on this node. */
	notice(notice: OrderStatusNotice): void {
		const streams = this.byOrder.get(notice.orderId);
		if (!streams) return;
		let behind = false;
		for (const stream of streams) {
			stream.send(notice.seq, notice.change);
			if (stream.sent < notice.seq) behind = true;
		}
		// Some notice before this one did not arrive (yet): read the history.
		if (behind) void this.catchUp([notice.orderId]);
	}

	/** Ends every stream (the node is stopping); clients reconnect to another gateway. */
	closeAll(): void {
		clearInterval(this.timer);
		for (const streams of this.byOrder.values()) for (const stream of streams) stream.out.end();
	}

	private hold(stream: OrderStream): void {
		let streams = this.byOrder.get(stream.orderId);
		if (!streams) this.byOrder.set(stream.orderId, (streams = new Set()));
		streams.add(stream);
		this.perCustomer.set(stream.customerId, this.openFor(stream.customerId) + 1);
		// Ended by the last status, or closed by the client (moleculer-web's pipeline destroys it).
		stream.out.once("close", () => this.release(stream));
		stream.out.once("finish", () => this.release(stream));
	}

	private release(stream: OrderStream): void {
		const streams = this.byOrder.get(stream.orderId);
		if (!streams?.delete(stream)) return;
		if (streams.size === 0) this.byOrder.delete(stream.orderId);
		const left = this.openFor(stream.customerId) - 1;
		if (left > 0) this.perCustomer.set(stream.customerId, left);
		else this.perCustomer.delete(stream.customerId);
	}

	/** A comment line keeps proxies from closing idle streams; then what notices may have missed. */
	private async beat(): Promise<void> {
		for (const streams of this.byOrder.values()) for (const stream of streams) stream.out.write(": heartbeat\n\n");
		await this.catchUp([...this.byOrder.keys()]);
	}

	private async catchUp(ids: string[]): Promise<void> {
		if (this.catchingUp || ids.length === 0) return;
		this.catchingUp = true;
		try {
			for (let i = 0; i < ids.length; i += CATCH_UP_BATCH) {
				for (const order of await this.options.progress(ids.slice(i, i + CATCH_UP_BATCH))) {
					for (const stream of this.byOrder.get(order.id) ?? []) stream.catchUp(order.history);
				}
			}
		} catch (err) {
			this.options.log.warn("Live order streams could not catch up; the next heartbeat tries again", err);
		} finally {
			this.catchingUp = false;
		}
	}
}
