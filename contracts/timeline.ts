import type { OrderStatus } from "./events";
import type { Notification, Payment } from "./orders";

/*
 * An order's whole story across the services (orders.timeline, GET /api/admin/orders/:id/timeline),
 * and what each service answers about one order to compose it.
 */

export type TimelineService = "orders" | "catalogue" | "payments" | "shipping" | "notifications";

export interface TimelineEntry {
	at: string;
	service: TimelineService;
	/** The state reached: the order's, the stock reservation's, the payment's or the shipment's status, or the email's (SENDING, SENT). */
	status: string;
	/** Why, as the service recorded it: the saga step, the provider's answer, the kind of email. */
	reason: string;
	/** The same for people: "stock reserved", "payment charged", "email sent: Your order is confirmed". */
	summary: string;
	/** Facts of the step worth seeing with it: amounts, the provider's reference, the short product, the email's recipient. */
	details?: Record<string, string | number>;
}

/** A part of the story that could not be read now: its service is unavailable or failed. */
export interface TimelineGap {
	service: TimelineService;
	/** The error's type, e.g. SERVICE_NOT_FOUND, REQUEST_TIMEOUT, STORE_UNAVAILABLE. */
	error: string;
}

export interface OrderTimeline {
	orderId: string;
	customerId: string;
	status: OrderStatus;
	/** Oldest first. */
	entries: TimelineEntry[];
	/** Empty when every service answered; otherwise the entries lack these parts. */
	missing: TimelineGap[];
}

/** payments.historyOfOrder: the order's payment with its history and refunds, null when payments has none. */
export type PaymentOfOrder = Payment | null;

/** notifications.ofOrder: the emails sent about the order, oldest first. */
export type NotificationsOfOrder = Notification[];
