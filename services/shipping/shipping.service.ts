import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import {
	SHIPMENT_STATUSES,
	type AnyDomainEvent,
	type ChooseShippingParams,
	type ListShipmentsParams,
	type ListShipmentsResult,
	type OrderCancelled,
	type OrderPaid,
	type OrderRef,
	type Product,
	type QuoteShippingParams,
	type ShipmentOfOrder,
	type ShippingOption,
	type ShippingQuote,
	type ShippingRatesParams,
	type ShopMeta,
} from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import { loadConfig } from "../../lib/env";
import { CarrierUnavailableError, NotFoundError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { idRule, linesRule, shippingOptionIdRule } from "../../lib/rules";
import { MAX_LINE_QTY, parcelWeightGrams, productLines } from "../../lib/stock-lines";
import { repeat, type Repeating } from "../../lib/timers";
import { runInWork, withTrace, workFromCarrier } from "../../lib/trace-context";
import { EventOutOfOrderError, EventsMixin, type EventsService, type EventsStore } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { answerWithin, SandboxCarrier, type ParcelRecord } from "./carrier";
import { DEFAULT_RATE_TABLE } from "./rate-table";
import { chooseOption, loadRateTable, noOption, shippingOptions } from "./rates";
import { decideShipment, newShipment, toShipment, voidedShipment, type ShipmentCommand, type ShipmentDecision, type ShipmentDoc } from "./shipment";

type Collections = { shipments: ShipmentDoc; parcels: ParcelRecord };

/** `parcels` holds the carrier sandbox's books (see carrier.ts); shipments publish. */
const STORE: EventsStore<Collections> = {
	collections: {
		shipments: { indexes: [{ field: "customerId" }, { field: "status", mongoOnly: true }, { field: "nextTrackAtMs" }, { field: "createdAt" }] },
		parcels: {},
	},
	outboxes: ["shipments"],
};

/** Parcels a sweep asks the carrier about at most; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

const destinationRule = {
	type: "object",
	strict: true,
	props: {
		country: { type: "string", length: 2, pattern: "^[A-Za-z]{2}$" },
		postalCode: { type: "string", trim: true, min: 1, max: 20 },
	},
} as const;

const parcelRules = {
	weightGrams: { type: "number", integer: true, min: 1, max: 100_000_000 },
	currency: { type: "string", pattern: "^[A-Z]{3}$" },
	destination: destinationRule,
} as const;

type ShipmentMove = Extract<ShipmentDecision, { kind: "move" }>;

interface Methods {
	writeMove(doc: ShipmentDoc, decision: ShipmentMove, cause?: AnyDomainEvent): Promise<ShipmentDoc | null>;
	decide(doc: ShipmentDoc, command: ShipmentCommand): ShipmentDecision;
	optionsFor(parcel: ShippingRatesParams): ShippingOption[];
	book(orderId: string, cause?: AnyDomainEvent): Promise<void>;
	voidLabel(orderId: string): Promise<void>;
	cancelShipment(event: OrderCancelled): Promise<void>;
	followParcel(doc: ShipmentDoc): Promise<void>;
	sweep(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { carrier: SandboxCarrier; sweeper?: Repeating };
type ShippingService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

/** Shipping: quotes from the rate table, and the saga's third step: the parcel booked with the carrier, then followed to its door. */
export default function shippingService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	const table = loadRateTable(config.shipping.rateTableFile, DEFAULT_RATE_TABLE);
	const settings = { staleAfterMs: config.events.claimTimeoutMs, trackEveryMs: config.shipping.trackEveryMs };
	return {
		name: "shipping",
		mixins: [EventsMixin<Collections>(config, STORE)],

		publishes: ["shipment.booked", "shipment.refused", "shipment.dispatched", "shipment.delivered"],

		// Idempotent through the shipment, keyed by the order: created once, booked once (a
		// compare-and-set on its status, the order id as the carrier's key), cancelled once.
		handledInAggregate: ["order.paid", "order.cancelled"],

		domainEvents: {
			async "order.paid"(event) {
				// False when seen before, or when the order was cancelled first and left a VOIDED record.
				await this.collections.shipments.insertIfAbsent(withTrace(newShipment(event as OrderPaid, new Date())));
				await this.book(event.orderId, event);
			},
			async "order.cancelled"(event) {
				await this.cancelShipment(event);
			},
		},

		actions: {
			/** What shipping these lines to this destination costs, each way that reaches it, cheapest first. */
			quote: {
				params: { $$strict: true, items: linesRule(MAX_LINE_QTY), destination: destinationRule },
				async handler(this: ShippingService, ctx: Ctx<QuoteShippingParams>): Promise<ShippingQuote> {
					const products = await ctx.call<Product[], { productIds: string[] }>("catalogue.quote", {
						productIds: ctx.params.items.map((item) => item.productId),
					});
					const { lines, currency } = productLines(ctx.params.items, products, MAX_LINE_QTY);
					const destination = { country: ctx.params.destination.country.toUpperCase(), postalCode: ctx.params.destination.postalCode };
					const parcel = { weightGrams: parcelWeightGrams(lines), currency, destination };
					const options = this.optionsFor(parcel);
					if (options.length === 0) throw noOption(table, parcel);
					return { ...parcel, options };
				},
			},

			/** The option an order being placed ships with (orders.create): 409 when the one asked for no longer reaches it or costs more. */
			choose: {
				visibility: "public",
				params: { $$strict: true, ...parcelRules, shippingOptionId: shippingOptionIdRule },
				handler(this: ShippingService, ctx: Ctx<ChooseShippingParams>): ShippingOption {
					const chosen = chooseOption(table, this.optionsFor(ctx.params), ctx.params.shippingOptionId);
					if (chosen === "NONE") throw noOption(table, ctx.params);
					return chosen;
				},
			},

			/** For an operator: shipments by status, newest first. */
			list: {
				auth: "admin",
				params: {
					$$strict: true,
					...pageParams,
					status: { type: "enum", values: [...SHIPMENT_STATUSES], optional: true },
				},
				handler(this: ShippingService, ctx: Ctx<ListShipmentsParams>): Promise<ListShipmentsResult> {
					const query = ctx.params.status ? { status: ctx.params.status } : {};
					return this.collections.shipments.findPage(query, ["-createdAt", "_id"], ctx.params, toShipment);
				},
			},

			/** For the order's timeline (orders.timeline): its shipment with every step, or null. */
			ofOrder: {
				visibility: "public",
				params: { $$strict: true, orderId: idRule },
				async handler(this: ShippingService, ctx: Ctx<OrderRef>): Promise<ShipmentOfOrder> {
					const doc = await this.collections.shipments.findOne({ _id: ctx.params.orderId });
					return doc ? toShipment(doc) : null;
				},
			},
		},

		methods: {
			optionsFor(this: ShippingService, parcel: ShippingRatesParams): ShippingOption[] {
				return shippingOptions(table, parcel);
			},

			decide(this: ShippingService, doc: ShipmentDoc, command: ShipmentCommand): ShipmentDecision {
				return decideShipment(doc, command, Date.now(), settings);
			},

			/**
			 * Writes a decided move with a compare-and-set on the status it was decided on (and on who
			 * holds a booking), its events with it; null if another call moved first.
			 */
			async writeMove(this: ShippingService, doc: ShipmentDoc, decision: ShipmentMove, cause?: AnyDomainEvent): Promise<ShipmentDoc | null> {
				const now = new Date();
				const at = now.toISOString();
				const set: Record<string, unknown> = { status: decision.to, updatedAt: at };
				const unset: Record<string, true> = {};
				for (const [field, value] of Object.entries(decision.set)) {
					if (value === null) unset[field] = true;
					else set[field] = value;
				}
				const entry = { status: decision.to, at, reason: decision.reason };
				const condition: Record<string, unknown> = { _id: doc._id, status: doc.status };
				if (doc.busySinceMs !== undefined) condition.busySinceMs = doc.busySinceMs;
				const update = { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}), $push: { history: entry } };
				if ((await this.updateWithEvents("shipments", condition, update, decision.events, now, cause)) !== 1) return null;
				this.logger.info(`[order ${doc._id}] shipment ${doc.status} -> ${decision.to} (${decision.reason})`);
				const moved: ShipmentDoc = { ...doc, ...set, history: [...doc.history, entry] };
				for (const field of Object.keys(unset)) delete moved[field];
				return moved;
			},

			/** Books the order's parcel once, however often it is called; a cancel noted meanwhile voids the label. */
			async book(this: ShippingService, orderId: string, cause?: AnyDomainEvent): Promise<void> {
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = await this.collections.shipments.findOne({ _id: orderId });
					if (!doc) {
						if (cause) throw new EventOutOfOrderError(cause, `the shipment of order ${orderId}`);
						throw new NotFoundError("SHIPMENT_NOT_FOUND", `No shipment for order ${orderId}`);
					}
					const claim = this.decide(doc, { type: "BOOK" });
					if (claim.kind !== "move") return;
					const claimed = await this.writeMove(doc, claim);
					if (!claimed) return CONFLICT;
					if (claimed.cancelRequested) return this.voidLabel(orderId);

					let answered: ShipmentDecision;
					try {
						// The order id is the carrier's idempotency key: a retried booking books one parcel.
						const result = await answerWithin(
							config.shipping.carrierTimeoutMs,
							this.carrier.book({ key: orderId, address: claimed.address, weightGrams: claimed.weightGrams, service: claimed.optionId }),
						);
						answered = this.decide(claimed, { type: "BOOK_ANSWERED", result });
					} catch (err) {
						if (!(err instanceof CarrierUnavailableError)) throw err;
						// Free the booking for the next attempt (this event's retry, or the sweep), then fail this one.
						const unanswered = this.decide(claimed, { type: "BOOK_UNANSWERED", error: err.message });
						if (unanswered.kind === "move") await this.writeMove(claimed, unanswered);
						throw err;
					}
					if (answered.kind === "move") await this.writeMove(claimed, answered);
					// The order was cancelled while the carrier was booking: take the label back. Read
					// again, as the cancel is noted on the stored shipment after `claimed` was read.
					if ((await this.collections.shipments.findOne({ _id: orderId }))?.cancelRequested) await this.voidLabel(orderId);
				};
				await compareAndSet(attempt, () => undefined);
			},

			/** Asks the carrier to void the order's label (or its key, if the booking never came back), then records it. */
			async voidLabel(this: ShippingService, orderId: string): Promise<void> {
				await answerWithin(config.shipping.carrierTimeoutMs, this.carrier.void(orderId));
				await compareAndSet(
					async () => {
						const doc = await this.collections.shipments.findOne({ _id: orderId });
						const decision = doc ? this.decide(doc, { type: "VOID_DONE" }) : { kind: "ignore" as const };
						if (decision.kind !== "move") return;
						return (await this.writeMove(doc!, decision)) ? undefined : CONFLICT;
					},
					() => undefined,
				);
			},

			/** The compensation for a cancelled order: nothing booked yet is voided; a label is voided with the carrier. */
			async cancelShipment(this: ShippingService, event: OrderCancelled): Promise<void> {
				const attempt = async (): Promise<void | typeof CONFLICT> => {
					const doc = await this.collections.shipments.findOne({ _id: event.orderId });
					if (!doc) {
						// Cancelled before (or without) order.paid: a VOIDED record stops a late booking.
						if (event.previousStatus !== "AWAITING_SHIPMENT") return;
						return (await this.collections.shipments.insertIfAbsent(voidedShipment(event.orderId, event.customerId, new Date(), event.reason)))
							? undefined
							: CONFLICT;
					}
					const decision = this.decide(doc, { type: "CANCEL", reason: event.reason });
					switch (decision.kind) {
						case "move":
							return (await this.writeMove(doc, decision)) ? undefined : CONFLICT;
						case "noteCancel":
							if ((await this.collections.shipments.update({ _id: doc._id, status: "BOOKING" }, { $set: { cancelRequested: true } })) !== 1)
								return CONFLICT;
							this.logger.info(`[order ${doc._id}] cancel noted during booking; the label will be voided`);
							// A booking whose carrier never answered is not coming back by itself: void the key now.
							if ((doc.busySinceMs ?? 0) === 0) await this.voidLabel(doc._id);
							return;
						case "void":
							await this.voidLabel(doc._id);
							return;
						default:
							return;
					}
				};
				await compareAndSet(attempt, () => undefined);
			},

			/** Asks the carrier where a parcel is, and records each step it has taken since. */
			async followParcel(this: ShippingService, doc: ShipmentDoc): Promise<void> {
				const track = await answerWithin(config.shipping.carrierTimeoutMs, this.carrier.track(doc._id));
				let current: ShipmentDoc | null = doc;
				// At most two steps at once: collected, then delivered.
				for (let step = 0; current && step < 2; step++) {
					const decision = this.decide(current, { type: "TRACKED", track });
					if (decision.kind === "trackLater") {
						await this.collections.shipments.update({ _id: current._id, status: current.status }, { $set: { nextTrackAtMs: decision.atMs } });
						return;
					}
					if (decision.kind !== "move") return;
					current = await this.writeMove(current, decision);
				}
			},

			/**
			 * Parcels due to be asked about, and bookings a dead node left BOOKING: asking the carrier
			 * again with the same key is safe, it answers with what it did the first time.
			 */
			async sweep(this: ShippingService): Promise<void> {
				const now = Date.now();
				const due = await this.collections.shipments.find({ query: { nextTrackAtMs: { $lte: now } }, limit: SWEEP_BATCH });
				for (const doc of due) {
					if (doc.status !== "LABELLED" && doc.status !== "IN_TRANSIT") continue;
					await runInWork(workFromCarrier(doc.trace, doc._id), () => this.followParcel(doc));
				}
				const stalled = await this.collections.shipments.find({
					query: { status: "BOOKING", busySinceMs: { $lte: now - settings.staleAfterMs } },
					limit: SWEEP_BATCH,
				});
				for (const doc of stalled) {
					await runInWork(workFromCarrier(doc.trace, doc._id), async () => {
						this.logger.warn(`[order ${doc._id}] shipment stalled in BOOKING; asking the carrier again`);
						await this.book(doc._id).catch((err: unknown) => this.logger.warn(`[order ${doc._id}] booking failed again`, err));
					});
				}
			},
		},

		created(this: ShippingService) {
			this.carrier = new SandboxCarrier(() => this.collections.parcels, {
				slowMs: config.shipping.carrierSlowMs,
				dispatchAfterMs: config.shipping.dispatchAfterMs,
				deliverAfterMs: config.shipping.deliverAfterMs,
			});
		},

		started(this: ShippingService) {
			this.sweeper = repeat(
				config.shipping.sweepMs,
				() => this.sweep(),
				(err) => this.logger.warn("Shipping sweep failed", err),
			);
		},

		stopped(this: ShippingService) {
			this.sweeper?.stop();
		},
	};
}
