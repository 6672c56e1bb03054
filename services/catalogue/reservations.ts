import type { Reservation, StockLine } from "../../contracts";
import { ConflictError, NotFoundError } from "../../lib/errors";
import { mergeLines } from "../../lib/stock-lines";
import { runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import type { NewEvent } from "../../mixins/events";
import type { Collection } from "../../mixins/store.mixin";
import type { ProductDoc } from "./product";
import {
	FINAL_STATUSES,
	cancelledBeforeReserved,
	clearHold,
	decideReservation,
	newReservation,
	restock,
	restockReturned,
	returnHold,
	settlementFor,
	takeHold,
	toReservation,
	type ReservationCommand,
	type ReservationDecision,
	type ReservationDoc,
} from "./stock";

/*
 * The stock reservation workflow of an order, beside the catalogue service that runs it: holds
 * live on the product documents, the reservation document records the saga's view. Each step
 * reads the reservation, asks the decider (stock.ts) and writes its move through the service's
 * write path with a compare-and-set on the status read; then the products' holds are made to
 * agree with the new status (settling), which any node may repeat until it is recorded.
 */

const DECISION_POLL_MS = 25;
const DECISION_POLL_MAX_MS = 500;
const DECISION_WAIT_MS = 5000;

/** What the workflow needs of the catalogue service it runs in. */
export interface ReservationHost {
	reservations: Collection<ReservationDoc>;
	products: Collection<ProductDoc>;
	/** The service's write path: the move and its events in one write. */
	updateWithEvents(
		collection: "reservations",
		query: Record<string, unknown>,
		update: Record<string, unknown>,
		events: NewEvent[],
		now: Date,
	): Promise<number>;
	/** Runs writes that change what product reads return, and drops the cached reads after. */
	changingProducts<R>(productIds: string[], writes: () => Promise<R>): Promise<R>;
	reservationTtlMs: number;
	/** How long a call taking an order's holds has them to itself (see ReservationDoc.leaseUntilMs). */
	holdLeaseMs: number;
	logger: { info(message: string): void; warn(message: string): void };
	onExpired(): void;
}

export class Reservations {
	constructor(private readonly host: ReservationHost) {}

	/** All-or-nothing; a repeated call for the same order returns the first call's outcome. */
	async reserve(orderId: string, lines: StockLine[]): Promise<Reservation> {
		const items = mergeLines(lines);
		const reservations = this.host.reservations;
		// Most calls are the first for their order: insert, and read only when one was there.
		const fresh = withTrace(newReservation(orderId, items, new Date(), this.host.reservationTtlMs, this.host.holdLeaseMs));
		if (await reservations.insertIfAbsent(fresh)) return this.hold(fresh);
		let current = await reservations.findOne({ _id: orderId });
		if (!current) throw new NotFoundError("RESERVATION_NOT_FOUND", `No reservation for order ${orderId}`, { orderId });
		// An empty record is an order cancelled before its reservation arrived.
		if (current.items.length > 0 && JSON.stringify(current.items) !== JSON.stringify(items)) {
			throw new ConflictError("RESERVATION_MISMATCH", `Order ${orderId} already reserved different items`, { orderId });
		}
		for (;;) {
			if (current.status !== "PENDING") return toReservation(current);
			// The call taking the holds is within its lease: its decision is to come.
			const leaseUntilMs = current.leaseUntilMs ?? 0;
			if (Date.now() < leaseUntilMs) {
				current = await this.awaitDecision(orderId, leaseUntilMs);
				continue;
			}
			// Still undecided past its lease: the node that began it died between taking holds and
			// deciding (this is the event's redelivery), or is stuck. Holding is idempotent per order,
			// so claim the work and finish it here rather than leave the order to time out.
			const claimed = await this.claimHolds(current);
			if (claimed) {
				this.host.logger.warn(`[order ${orderId}] stock reservation left pending since ${current.updatedAt}; finishing it`);
				return this.hold(claimed);
			}
			current = await this.awaitDecision(orderId, Date.now());
		}
	}

	/** `reason` goes into the reservation's history: why the stock went back on sale. */
	async release(orderId: string, reason?: string): Promise<Reservation> {
		let doc = await this.awaitDecision(orderId);
		const now = new Date();
		const decision = decideReservation(doc, { type: "RELEASE", ...(reason ? { reason } : {}) }, now);
		if (decision.kind === "refuse") {
			throw new ConflictError("RESERVATION_FINALISED", `Stock for order ${doc._id} is already committed`, { orderId: doc._id, status: decision.status });
		}
		if (decision.kind === "move") doc = (await this.apply(doc, decision, now)) ?? (await this.awaitDecision(doc._id));
		if (doc.status === "RELEASED") this.host.logger.info(`[order ${doc._id}] stock released`);
		return toReservation(doc.settled ? doc : await this.settle(doc));
	}

	async commit(orderId: string): Promise<Reservation> {
		let doc = await this.awaitDecision(orderId);
		const now = new Date();
		const decision = decideReservation(doc, { type: "COMMIT" }, now);
		if (decision.kind === "move") {
			doc = (await this.apply(doc, decision, now)) ?? (await this.awaitDecision(doc._id));
			if (decision.to === "COMMITTED") this.host.logger.info(`[order ${doc._id}] stock committed`);
		}
		if (!doc.settled) doc = await this.settle(doc);
		if (doc.status !== "COMMITTED" && doc.status !== "RETURNED") {
			throw new ConflictError("RESERVATION_FINALISED", `Stock for order ${doc._id} is ${doc.status.toLowerCase()}`, {
				orderId: doc._id,
				status: doc.status,
			});
		}
		return toReservation(doc);
	}

	/** A confirmed order was cancelled: its sold stock goes back on sale, once. */
	async returnSold(orderId: string): Promise<Reservation> {
		let doc = await this.awaitDecision(orderId);
		const now = new Date();
		const decision = decideReservation(doc, { type: "RETURN" }, now);
		if (decision.kind === "move") {
			doc = (await this.apply(doc, decision, now)) ?? (await this.awaitDecision(orderId));
			this.host.logger.info(`[order ${orderId}] sold stock returned`);
		}
		return toReservation(doc.settled ? doc : await this.settle(doc));
	}

	/** The order was cancelled: what it holds goes back, what it bought is returned. */
	async cancel(orderId: string): Promise<void> {
		const doc = await this.host.reservations.findOne({ _id: orderId });
		if (!doc) {
			// Cancelled before order.created reached us: leave a record so a late reservation takes nothing.
			if (await this.host.reservations.insertIfAbsent(cancelledBeforeReserved(orderId, new Date()))) return;
		}
		const current = await this.awaitDecision(orderId);
		if (current.status === "COMMITTED") await this.returnSold(orderId);
		else await this.release(orderId, "ORDER_CANCELLED");
	}

	/** A customer's return is back at the shop: its units go on sale again, once. */
	async restockReturn(orderId: string, returnId: string, items: StockLine[]): Promise<void> {
		const now = new Date();
		await this.host.changingProducts(
			items.map((line) => line.productId),
			async () => {
				for (const line of items) {
					const step = restockReturned(line, orderId, returnId, now);
					await this.host.products.update(step.query, step.update);
				}
			},
		);
		this.host.logger.info(`[order ${orderId}] return ${returnId} restocked: ${items.map((line) => `${line.qty} × ${line.productId}`).join(", ")}`);
	}

	async get(orderId: string): Promise<Reservation> {
		const doc = await this.host.reservations.findOne({ _id: orderId });
		if (!doc) throw new NotFoundError("RESERVATION_NOT_FOUND", `No reservation for order ${orderId}`);
		return toReservation(doc);
	}

	/** Expires the holds past their time, and settles what a stopped node left unsettled. */
	async sweep(): Promise<void> {
		const now = new Date();
		const reservations = this.host.reservations;
		const expired = await reservations.find({
			query: { status: { $in: ["PENDING", "RESERVED"] }, expiresAtMs: { $lte: now.getTime() } },
			limit: 500,
		});
		for (const doc of expired) {
			// In the order's trace: the expiry releases its stock and so ends its saga.
			await runInWork(workFromCarrier(doc.trace, doc._id), async () => {
				const decision = decideReservation(doc, { type: "EXPIRE" }, now);
				const moved = decision.kind === "move" ? await this.apply(doc, decision, now) : null;
				if (!moved) return;
				this.host.onExpired();
				this.host.logger.info(`[order ${doc._id}] stock reservation expired`);
				await this.settle(moved);
			});
		}
		// A node that stopped between a status change and its holds leaves the reservation
		// unsettled; settling is idempotent, so any node may finish the job.
		const unsettled = await reservations.find({
			query: { settled: false, status: { $in: [...FINAL_STATUSES] } },
			limit: 500,
		});
		for (const doc of unsettled) await this.settle(doc);
	}

	private async hold(doc: ReservationDoc): Promise<Reservation> {
		const products = this.host.products;
		// The first line that cannot be held, if any (the lines before it are held), or that the work was lost.
		const { short, lost } = await this.host.changingProducts(
			doc.items.map((line) => line.productId),
			async (): Promise<{ short?: StockLine; lost?: true }> => {
				let claim = doc;
				for (const line of doc.items) {
					const kept = await this.keepClaim(claim);
					if (!kept) return { lost: true };
					claim = kept;
					const { query, update } = takeHold(line, doc._id, new Date());
					if ((await products.update(query, update)) === 1) continue;
					// Already held for this order: by a node that died before deciding, or a concurrent call.
					if ((await products.findOne({ _id: line.productId }))?.holds?.[doc._id] === line.qty) continue;
					return { short: line };
				}
				return {};
			},
		);
		if (lost) {
			this.host.logger.warn(`[order ${doc._id}] stock reservation taken over by another call; leaving it to decide`);
			return toReservation(await this.awaitDecision(doc._id));
		}
		if (short) {
			const product = await products.findOne({ _id: short.productId });
			const reason = product?.active ? "OUT_OF_STOCK" : "PRODUCT_UNAVAILABLE";
			const rejected = await this.decideAndApply(doc, { type: "SHORT", reason, productId: short.productId });
			this.host.logger.info(`[order ${doc._id}] stock rejected: ${reason} for product ${short.productId}`);
			return toReservation(await this.settle(rejected ?? (await this.awaitDecision(doc._id))));
		}
		const reserved = await this.decideAndApply(doc, { type: "HELD" });
		if (reserved) {
			this.host.logger.info(`[order ${doc._id}] stock reserved: ${doc.items.length} line(s)`);
			return toReservation(reserved);
		}
		// Another call decided first and its decision stands; settling it (again) gives back
		// what this call held if that decision was to reject.
		const decided = await this.awaitDecision(doc._id);
		return toReservation(decided.status === "PENDING" ? decided : await this.settle(decided));
	}

	/** Makes the products' holds agree with the reservation's final status; safe to repeat. */
	private async settle(doc: ReservationDoc): Promise<ReservationDoc> {
		const action = settlementFor(doc.status);
		if (action === "none") return doc;
		const now = new Date();
		const products = this.host.products;
		if (action === "clear") {
			// A committed sale only forgets its holds: nothing a reader sees changes.
			for (const line of doc.items) {
				const step = clearHold(line, doc._id);
				await products.update(step.query, step.update);
			}
		} else {
			await this.host.changingProducts(
				doc.items.map((line) => line.productId),
				async () => {
					for (const line of doc.items) {
						const step = action === "return" ? returnHold(line, doc._id, now) : restock(line, doc._id, now);
						await products.update(step.query, step.update);
					}
				},
			);
		}
		await this.host.reservations.update({ _id: doc._id, status: doc.status }, { $set: { settled: true } });
		return { ...doc, settled: true };
	}

	private async decideAndApply(doc: ReservationDoc, command: ReservationCommand): Promise<ReservationDoc | null> {
		const now = new Date();
		const decision = decideReservation(doc, command, now);
		return decision.kind === "move" ? this.apply(doc, decision, now) : null;
	}

	/**
	 * Writes a move, its history entry and its events in one write, with a compare-and-set on the
	 * status it was decided on: null when another call moved first.
	 */
	private async apply(doc: ReservationDoc, decision: Extract<ReservationDecision, { kind: "move" }>, now: Date): Promise<ReservationDoc | null> {
		const update = { $set: decision.set, $push: { history: decision.entry } };
		const updated = await this.host.updateWithEvents("reservations", { _id: doc._id, status: doc.status }, update, decision.events, now);
		return updated === 1 ? { ...doc, ...decision.set, history: [...(doc.history ?? []), decision.entry] } : null;
	}

	/**
	 * Takes the work of holding an order's stock for this call (or keeps it) until a new lease
	 * ends, by a compare-and-set on the lease read: null when another call claimed it first or
	 * the reservation was decided.
	 */
	private async claimHolds(doc: ReservationDoc): Promise<ReservationDoc | null> {
		const leaseUntilMs = Date.now() + this.host.holdLeaseMs;
		const query = { _id: doc._id, status: "PENDING", leaseUntilMs: doc.leaseUntilMs ?? { $exists: false } };
		return (await this.host.reservations.update(query, { $set: { leaseUntilMs } })) === 1 ? { ...doc, leaseUntilMs } : null;
	}

	/**
	 * The claim, renewed while less than half its lease is left, so each hold is taken well inside
	 * it: null once another call claimed the work or the reservation was decided.
	 */
	private async keepClaim(doc: ReservationDoc): Promise<ReservationDoc | null> {
		return Date.now() < (doc.leaseUntilMs ?? 0) - this.host.holdLeaseMs / 2 ? doc : this.claimHolds(doc);
	}

	/** A reservation still PENDING is being decided by another call; wait (briefly, by default) for it. */
	private async awaitDecision(orderId: string, untilMs = Date.now() + DECISION_WAIT_MS): Promise<ReservationDoc> {
		// Quick looks first (a concurrent call decides in milliseconds), then sparser ones while a
		// dead node's lease runs out.
		for (let pollMs = DECISION_POLL_MS; ; pollMs = Math.min(pollMs * 2, DECISION_POLL_MAX_MS)) {
			const doc = await this.host.reservations.findOne({ _id: orderId });
			if (!doc) throw new NotFoundError("RESERVATION_NOT_FOUND", `No reservation for order ${orderId}`, { orderId });
			if (doc.status !== "PENDING" || Date.now() >= untilMs) return doc;
			await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, untilMs - Date.now()))));
		}
	}
}
