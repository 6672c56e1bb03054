import type { Address } from "./customers";
import type { Page, PageParams, QueryFlag } from "./common";
import type { CancelReason, OrderStatus } from "./events";
import type { OrderReturn } from "./returns";
import type { OrderShipping, Tracking } from "./shipping";

export interface OrderLine {
	productId: string;
	sku: string;
	name: string;
	unitPriceCents: number;
	qty: number;
	lineTotalCents: number;
}

export interface StatusChange {
	status: OrderStatus;
	at: string;
	/** Why: the saga step or request that caused it (STOCK_RESERVED, PAYMENT_DECLINED, TIMEOUT…). */
	reason: string;
}

export interface Order {
	id: string;
	customerId: string;
	items: OrderLine[];
	/** The lines' total. */
	goodsCents: number;
	/** What shipping costs (0 for orders placed before the shop shipped). */
	shippingCents: number;
	/** Goods and shipping: what is charged. */
	totalCents: number;
	currency: string;
	shippingAddress: Address;
	/** How it ships, priced when it was placed; absent on orders placed before the shop shipped. */
	shipping?: OrderShipping;
	/** The carrier's label, once the shipment is booked. */
	tracking?: Tracking;
	paymentMethod: string;
	status: OrderStatus;
	cancelReason?: CancelReason;
	refundedCents: number;
	history: StatusChange[];
	/** The returns asked for, oldest first (absent until there is one). */
	returns?: OrderReturn[];
	/** For a DELIVERED order: until when a return may be asked for. */
	returnableUntil?: string;
	/** While AWAITING_PAYMENT: where the customer confirms the payment with their bank (3-D Secure). */
	paymentActionUrl?: string;
	createdAt: string;
	updatedAt: string;
}

export interface CreateOrderParams {
	items: { productId: string; qty: number }[];
	shippingAddress: Address;
	paymentMethod?: string;
	/** A quote's option id (`standard:490`) or a bare option (`standard`); the cheapest option when left out. */
	shippingOptionId?: string;
}

export interface ListOrdersParams extends PageParams {
	status?: OrderStatus;
}
export type ListOrdersResult = Page<Order>;

/** orders.adminList: every customer's orders, narrowed for an operator looking for stuck sagas. */
export interface AdminListOrdersParams extends PageParams {
	status?: OrderStatus;
	customerId?: string;
	/** Only orders placed more than this many seconds ago. */
	olderThanSeconds?: number;
	/** Only orders whose saga has not ended (PENDING, AWAITING_PAYMENT, AWAITING_SHIPMENT); with `status`, both must hold. */
	open?: QueryFlag;
	/** Only orders with a return whose parcel the shop has not received yet. */
	returnsToReceive?: QueryFlag;
}

/** `orders.stats`: the orders placed in the last `sinceSeconds`, by status, and how long their sagas took. */
export interface OrderStats {
	sinceSeconds: number;
	since: string;
	total: number;
	byStatus: Record<OrderStatus, number>;
	/** From placed to CONFIRMED or CANCELLED, over the settled orders read (nulls when none). */
	sagaMs: { count: number; p50: number | null; p95: number | null; max: number | null };
	/** True when more orders settled in the window than were read for the durations (STATS_SAMPLE). */
	truncated: boolean;
}

/** The params of the actions that read what a service knows about one order (payments.historyOfOrder, notifications.ofOrder). */
export interface OrderRef {
	orderId: string;
}

/**
 * PENDING until the order's stock is held; CHARGING while the processor is asked; PROCESSING
 * once it took the payment and its outcome is awaited (by signed webhook or reconciliation);
 * ACTION_REQUIRED while the customer must confirm it (3-D Secure); then SETTLED or DECLINED.
 */
export const PAYMENT_STATUSES = ["PENDING", "CHARGING", "PROCESSING", "ACTION_REQUIRED", "SETTLED", "DECLINED", "VOIDED", "REFUNDING", "REFUNDED"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface Payment {
	id: string;
	orderId: string;
	customerId: string;
	amountCents: number;
	currency: string;
	method: string;
	status: PaymentStatus;
	refundedCents: number;
	/** The processor's payment intent. */
	providerRef?: string;
	/** Where the customer confirms the payment while it is ACTION_REQUIRED. */
	actionUrl?: string;
	history: { status: PaymentStatus; at: string; reason: string }[];
	createdAt: string;
	updatedAt: string;
}

export interface Notification {
	id: string;
	customerId: string;
	orderId: string;
	kind: "order.confirmed" | "order.cancelled" | "payment.refunded" | "shipment.dispatched" | "shipment.delivered";
	to: string;
	subject: string;
	status: "SENDING" | "SENT";
	createdAt: string;
	sentAt?: string;
}

/**
 * Broadcast to every node when an order's status changes, for live views (the gateway's Server-Sent
 * Events). Not a domain event: not stored, not replayed; a view that may have missed one reads the
 * order's history again (orders.progress).
 */
export const ORDER_STATUS_NOTICE = "live.order.status";

export interface OrderStatusNotice {
	orderId: string;
	customerId: string;
	/** The change's index in the order's history: the stream's event id. */
	seq: number;
	change: StatusChange;
}

/** An order's history, for a live view catching up (orders.progress). */
export interface OrderProgress {
	id: string;
	customerId: string;
	history: StatusChange[];
}

/** One way the processor's books and the shop's payments disagree (payments.reconcile). */
export interface ReconciliationDiscrepancy {
	/** Money at the processor with no payment of the shop's; a payment the processor has no money for; or both, with other amounts. */
	kind: "PROCESSOR_WITHOUT_PAYMENT" | "PAYMENT_WITHOUT_PROCESSOR" | "AMOUNTS_DIFFER";
	orderId?: string;
	intentId?: string;
	/** What the processor holds: taken, less refunds. */
	processorCents: number;
	/** What the shop's payment says it holds. */
	shopCents: number;
	currency: string;
	paymentStatus?: PaymentStatus;
}

/** payments.reconcile: the processor's books against the shop's payments. */
export interface ReconciliationReport {
	checkedAt: string;
	intents: number;
	payments: number;
	/** True when there were more intents than one report reads (RECONCILE_MAX_INTENTS): the oldest were left out. */
	truncated: boolean;
	discrepancies: ReconciliationDiscrepancy[];
}
