import type { Product, StockLine } from "./catalogue";
import type { Address } from "./customers";
import type { OrderShipping, Tracking } from "./shipping";

/**
 * Domain events: `<entity>.<pastTense>`. Every payload carries its own event id (consumers
 * de-duplicate on it), when it happened, the aggregate it is about (the Kafka message key, so one
 * aggregate's events stay in order) and a correlation id (the orderId for everything in the order
 * saga), so one order's story can be followed across services. Change a payload by adding a new
 * event name, never by changing the meaning of a field.
 */
export interface DomainEvent<T extends string = string> {
	/** Unique per event; the key consumers de-duplicate on. */
	id: string;
	type: T;
	occurredAt: string;
	aggregateId: string;
	correlationId: string;
}

export const CANCEL_REASONS = ["OUT_OF_STOCK", "PAYMENT_DECLINED", "SHIPPING_REFUSED", "TIMEOUT", "CUSTOMER_CANCELLED"] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];
/**
 * An order's statuses in the order it reaches them: the saga runs from PENDING to CONFIRMED (stock
 * held, paid, shipment booked) or CANCELLED; a confirmed order is then SHIPPED and DELIVERED.
 */
export const ORDER_STATUSES = ["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT", "CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export interface PricedLine extends StockLine {
	unitPriceCents: number;
}

export interface OrderCreated extends DomainEvent<"order.created"> {
	orderId: string;
	customerId: string;
	items: PricedLine[];
	totalCents: number;
	currency: string;
	paymentMethod: string;
}

/** The order's payment settled and it ships: shipping books its parcel (the saga's third step). */
export interface OrderPaid extends DomainEvent<"order.paid"> {
	orderId: string;
	customerId: string;
	shippingAddress: Address;
	shipping: OrderShipping;
}

export interface OrderConfirmed extends DomainEvent<"order.confirmed"> {
	orderId: string;
	customerId: string;
	totalCents: number;
	currency: string;
}

export interface OrderCancelled extends DomainEvent<"order.cancelled"> {
	orderId: string;
	customerId: string;
	reason: CancelReason;
	previousStatus: OrderStatus;
	totalCents: number;
	currency: string;
}

export interface StockReserved extends DomainEvent<"stock.reserved"> {
	orderId: string;
	items: StockLine[];
}

export interface StockRejected extends DomainEvent<"stock.rejected"> {
	orderId: string;
	reason: "OUT_OF_STOCK" | "PRODUCT_UNAVAILABLE";
	productId: string;
}

/** Held stock went back on sale: the order was cancelled, failed to pay, or its hold expired. */
export interface StockReleased extends DomainEvent<"stock.released"> {
	orderId: string;
	items: StockLine[];
	reason: "RELEASED" | "EXPIRED";
}

export interface StockCommitted extends DomainEvent<"stock.committed"> {
	orderId: string;
	items: StockLine[];
}

/** Sold stock came back because a confirmed order was cancelled. */
export interface StockReturned extends DomainEvent<"stock.returned"> {
	orderId: string;
	items: StockLine[];
}

export interface PaymentSettled extends DomainEvent<"payment.settled"> {
	orderId: string;
	paymentId: string;
	customerId: string;
	amountCents: number;
	currency: string;
}

/** Why the processor did not take the money, from its last payment error. */
export type PaymentFailure = "DECLINED" | "AUTHENTICATION_FAILED" | "INSUFFICIENT_FUNDS" | "CANCELLED";

export interface PaymentFailed extends DomainEvent<"payment.failed"> {
	orderId: string;
	paymentId: string;
	customerId: string;
	reason: PaymentFailure;
}

/** The customer must confirm the payment with their bank (3-D Secure) at `actionUrl` before it can settle. */
export interface PaymentActionRequired extends DomainEvent<"payment.actionRequired"> {
	orderId: string;
	paymentId: string;
	customerId: string;
	actionUrl: string;
}

export interface PaymentRefunded extends DomainEvent<"payment.refunded"> {
	orderId: string;
	paymentId: string;
	customerId: string;
	amountCents: number;
	currency: string;
	/** The return this refund is for; absent for the refund of a cancelled order. */
	returnId?: string;
}

/** A return of an order, as its events tell it: the lines sent back and what they refund. */
interface ReturnFacts {
	orderId: string;
	customerId: string;
	returnId: string;
	items: { productId: string; qty: number }[];
	refundCents: number;
	currency: string;
}

/** A customer asked to send back lines of a delivered order. */
export interface ReturnRequested extends DomainEvent<"return.requested">, ReturnFacts {}

/** The shop received a return's parcel: its stock goes back on sale, its amount is refunded. */
export interface ReturnReceived extends DomainEvent<"return.received">, ReturnFacts {}

/** The carrier took the parcel and printed its label. */
export interface ShipmentBooked extends DomainEvent<"shipment.booked"> {
	orderId: string;
	customerId: string;
	tracking: Tracking;
}

/** The carrier will not carry the parcel: the order is compensated (refund, stock back) and cancelled. */
export interface ShipmentRefused extends DomainEvent<"shipment.refused"> {
	orderId: string;
	customerId: string;
	reason: string;
}

/** The carrier collected the parcel: it is on its way. */
export interface ShipmentDispatched extends DomainEvent<"shipment.dispatched"> {
	orderId: string;
	customerId: string;
	tracking: Tracking;
	/** When the carrier reports it happened. */
	at: string;
}

export interface ShipmentDelivered extends DomainEvent<"shipment.delivered"> {
	orderId: string;
	customerId: string;
	tracking: Tracking;
	at: string;
}

export interface ProductCreated extends DomainEvent<"product.created"> {
	productId: string;
	product: Product;
}

export interface ProductUpdated extends DomainEvent<"product.updated"> {
	productId: string;
	product: Product;
	changed: string[];
}

export interface ProductDeactivated extends DomainEvent<"product.deactivated"> {
	productId: string;
}

export interface CustomerRegistered extends DomainEvent<"customer.registered"> {
	customerId: string;
	email: string;
	name: string;
}

export interface EventPayloads {
	"order.created": OrderCreated;
	"order.paid": OrderPaid;
	"order.confirmed": OrderConfirmed;
	"order.cancelled": OrderCancelled;
	"stock.reserved": StockReserved;
	"stock.rejected": StockRejected;
	"stock.released": StockReleased;
	"stock.committed": StockCommitted;
	"stock.returned": StockReturned;
	"payment.settled": PaymentSettled;
	"payment.failed": PaymentFailed;
	"payment.refunded": PaymentRefunded;
	"payment.actionRequired": PaymentActionRequired;
	"return.requested": ReturnRequested;
	"return.received": ReturnReceived;
	"shipment.booked": ShipmentBooked;
	"shipment.refused": ShipmentRefused;
	"shipment.dispatched": ShipmentDispatched;
	"shipment.delivered": ShipmentDelivered;
	"product.created": ProductCreated;
	"product.updated": ProductUpdated;
	"product.deactivated": ProductDeactivated;
	"customer.registered": CustomerRegistered;
}

export type EventName = keyof EventPayloads;
export type AnyDomainEvent = EventPayloads[EventName];

/**
 * The trace an event belongs to, which travels beside it rather than in it: as Kafka message
 * headers (`traceparent`, `x-request-id`), in the bus's meta, and in the outbox and inbox.
 */
export interface TraceCarrier {
	/** W3C trace context of the span that published the event: 00-<trace id>-<span id>-<flags>. */
	traceparent?: string;
	/** The X-Request-Id of the HTTP request whose work published the event. */
	requestId?: string;
}

/** An event as it waits in an outbox: the event, and the trace it was published in. */
export type OutboxEvent = AnyDomainEvent & { trace?: TraceCarrier };

/** What a publisher supplies; the envelope fields are filled in by the event mixin. */
export type EventBody<K extends EventName> = Omit<EventPayloads[K], keyof DomainEvent>;

/** `<service>.deadLetters`: an event a service's handler gave up on, with its last error. */
export interface DeadLetter {
	/** The event's id. */
	id: string;
	type: EventName;
	attempts: number;
	lastError?: string;
	receivedAt: string;
	/** The orderId for every event of the order saga. */
	correlationId: string;
}

/** Where an event stands in a consumer's inbox. */
export type InboxStatus = "PROCESSING" | "RETRY" | "DONE" | "DEAD";

/** `<service>.redriveDeadLetters`: what handing each dead letter to its handler once more came to. */
export interface RedriveResult {
	id: string;
	/** DONE when handled; DEAD or RETRY when it failed again. */
	status: InboxStatus;
	lastError?: string;
}
