import type { Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { ORDER_STATUS_NOTICE, type AnyDomainEvent, type OrderStatusNotice } from "../../contracts";
import { CONFLICT, compareAndSet } from "../../lib/compare-and-set";
import type { ShopConfig } from "../../lib/env";
import { ConflictError } from "../../lib/errors";
import { SAGA_STUCK_AFTER_MS, shopMetrics } from "../../lib/metrics";
import { runInWork, workFromCarrier } from "../../lib/trace-context";
import { alreadyHandled, EventOutOfOrderError, type EventsService, type WithHandledEvents } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { OPEN_STATUSES, movedOrder, orderStep, sagaSeconds, type OrderDoc, type SagaTrigger } from "./order";
import type { ReturnCommand } from "./returns";

/*
 * The orders service's saga (see order.ts for its steps): the events of the other services that
 * move an order to CONFIRMED or CANCELLED, the one way a step is applied (advance, which the
 * customer's cancel uses too), and the timeout of a step that never came. orders.service.ts
 * places the orders and runs the sweep that calls timeOutStalledSagas.
 */

interface Methods {
	advance(orderId: string, trigger: SagaTrigger, cause?: AnyDomainEvent, facts?: Record<string, unknown>): Promise<OrderDoc | null>;
	timeOutStalledSagas(): Promise<void>;
	/** returns.mixin.ts: a refund of a return closes the return. */
	applyReturn(orderId: string, command: ReturnCommand, cause?: AnyDomainEvent): Promise<unknown>;
}

type Vars = EventsService & StoreService<{ orders: OrderDoc }>;
type SagaService = Service & Vars & Methods;

/** `config` gives the saga's step timeout and the return window that a delivery opens. */
export function SagaMixin(config: ShopConfig): Partial<ServiceSchema> {
	const schema: Partial<ServiceSchema<ServiceSettingSchema, Methods, Vars>> = {
		// The saga's steps record their event in the order they move (advance's cause); a refund
		// is recorded under its event id. A duplicate is found in the order read anyway.
		handledInAggregate: [
			"stock.reserved",
			"stock.rejected",
			"payment.actionRequired",
			"payment.settled",
			"payment.failed",
			"payment.refunded",
			"shipment.booked",
			"shipment.refused",
			"shipment.dispatched",
			"shipment.delivered",
		],

		domainEvents: {
			async "stock.reserved"(event) {
				await this.advance(event.orderId, "STOCK_RESERVED", event);
			},
			async "stock.rejected"(event) {
				await this.advance(event.orderId, "STOCK_REJECTED", event);
			},
			async "payment.actionRequired"(event) {
				await this.advance(event.orderId, "PAYMENT_ACTION_REQUIRED", event, { paymentActionUrl: event.actionUrl });
			},
			async "payment.settled"(event) {
				await this.advance(event.orderId, "PAYMENT_SETTLED", event);
			},
			async "payment.failed"(event) {
				await this.advance(event.orderId, "PAYMENT_FAILED", event);
			},
			async "shipment.booked"(event) {
				await this.advance(event.orderId, "SHIPMENT_BOOKED", event, { tracking: event.tracking });
			},
			async "shipment.refused"(event) {
				await this.advance(event.orderId, "SHIPMENT_REFUSED", event);
			},
			async "shipment.dispatched"(event) {
				await this.advance(event.orderId, "SHIPMENT_DISPATCHED", event);
			},
			async "shipment.delivered"(event) {
				// The return window runs from the carrier's delivery, as it stood when the parcel arrived.
				const returnableUntil = new Date(Date.parse(event.at) + config.orders.returnWindowMs).toISOString();
				await this.advance(event.orderId, "SHIPMENT_DELIVERED", event, { returnableUntil });
			},
			async "payment.refunded"(event) {
				if (event.returnId) {
					await this.applyReturn(
						event.orderId,
						{ type: "REFUNDED", returnId: event.returnId, refundId: event.id, amountCents: event.amountCents },
						event,
					);
					return;
				}
				const at = new Date().toISOString();
				// Keyed on the refund's event id, so a duplicate delivery cannot count a refund twice.
				const updated = await this.collections.orders.update(
					{ _id: event.orderId, [`refunds.${event.id}`]: { $exists: false } },
					{
						$inc: { refundedCents: event.amountCents },
						$push: { history: { status: "CANCELLED", at, reason: "PAYMENT_REFUNDED" } },
						$set: { updatedAt: at, [`refunds.${event.id}`]: event.amountCents },
					},
				);
				if (updated === 1) this.logger.info(`[order ${event.orderId}] refund of ${event.amountCents} cents recorded`);
			},
		},

		methods: {
			/**
			 * Applies one saga step: the decision is made on the status read, and written only if the
			 * status is still that one; a concurrent step makes us read again and decide anew.
			 * Returns the moved order, or null when the step changed nothing.
			 */
			async advance(
				this: SagaService,
				orderId: string,
				trigger: SagaTrigger,
				cause?: AnyDomainEvent,
				facts?: Record<string, unknown>,
			): Promise<OrderDoc | null> {
				const attempt = async (): Promise<OrderDoc | null | typeof CONFLICT> => {
					const order: (OrderDoc & WithHandledEvents) | null = await this.collections.orders.findOne({ _id: orderId });
					if (!order) {
						if (cause) throw new EventOutOfOrderError(cause, `order ${orderId}`);
						return null;
					}
					if (alreadyHandled(order, cause)) {
						this.logger.debug(`[order ${orderId}] duplicate ${cause!.type} ${cause!.id} ignored`);
						return null;
					}
					const now = new Date();
					const step = orderStep(order, trigger, now, config.orders.sagaStepTimeoutMs, facts);
					if (step.kind === "wait") throw new EventOutOfOrderError(cause!, `the step before ${trigger} for order ${orderId}`);
					if (step.kind === "refuse") {
						throw new ConflictError(
							step.type,
							`Order ${orderId} has its shipping label (${order.status}): it can no longer be cancelled; once it is delivered, return it instead`,
							{ status: order.status },
						);
					}
					if (step.kind === "ignore") {
						this.logger.debug(`[order ${orderId}] ${trigger} ignored in status ${order.status}`);
						return null;
					}
					const { decision, set, unset, entry, events } = step;
					const moved = movedOrder(order, step);
					if (
						(await this.updateWithEvents(
							"orders",
							{ _id: orderId, status: order.status },
							{ $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}), $push: { history: entry } },
							events,
							now,
							cause,
						)) !== 1
					)
						return CONFLICT;
					this.logger.info(`[order ${orderId}] ${order.status} -> ${decision.to} (${decision.reason})`);
					// For live views on every node; one that misses it catches up from orders.progress.
					const notice: OrderStatusNotice = { orderId, customerId: order.customerId, seq: order.history.length, change: entry };
					this.broker
						.broadcast(ORDER_STATUS_NOTICE, notice)
						.catch((err: unknown) => this.logger.warn(`[order ${orderId}] status notice not sent`, err));
					if (decision.to === "CONFIRMED" || decision.to === "CANCELLED") {
						shopMetrics(this.broker).orderFinished(decision.to, decision.cancelReason, sagaSeconds(order, now));
					}
					return moved;
				};
				return compareAndSet(attempt, () => {
					throw new ConflictError("ORDER_ALREADY_FINAL", `Order ${orderId} kept changing; try again`);
				});
			},

			async timeOutStalledSagas(this: SagaService): Promise<void> {
				const stalled = await this.collections.orders.find({
					query: { status: { $in: [...OPEN_STATUSES] }, sagaDeadlineMs: { $lte: Date.now() } },
					limit: 200,
				});
				const stuckBefore = Date.now() - SAGA_STUCK_AFTER_MS;
				shopMetrics(this.broker).sagasStuck(stalled.filter((order) => (order.sagaDeadlineMs ?? Infinity) <= stuckBefore).length);
				for (const order of stalled) {
					// In the order's own trace: the cancellation is the end of its saga.
					await runInWork(workFromCarrier(order.trace, order._id), async () => {
						this.logger.warn(`[order ${order._id}] saga step timed out in ${order.status}`);
						await this.advance(order._id, "TIMEOUT");
					});
				}
			},
		},
	};
	return schema as Partial<ServiceSchema>;
}
