import type { OrderCancelled, OrderConfirmed, PaymentRefunded, ShipmentDelivered, ShipmentDispatched } from "../../contracts";

export type NotifyingEvent = OrderConfirmed | OrderCancelled | PaymentRefunded | ShipmentDispatched | ShipmentDelivered;

export interface Email {
	subject: string;
	text: string;
}

const REASONS: Record<OrderCancelled["reason"], string> = {
	OUT_OF_STOCK: "some items were out of stock",
	PAYMENT_DECLINED: "the payment was declined",
	SHIPPING_REFUSED: "the carrier cannot deliver to your address",
	TIMEOUT: "it could not be completed in time",
	CUSTOMER_CANCELLED: "you cancelled it",
};

/**
 * Only a declined card or missing stock (nothing is charged before stock is reserved) are sure
 * to mean no charge; otherwise a charge may be in flight, and a refund email follows if so.
 */
function chargeNote(event: OrderCancelled): string {
	if (event.reason === "PAYMENT_DECLINED" || event.reason === "OUT_OF_STOCK") return " You have not been charged.";
	if (event.previousStatus === "CONFIRMED" || event.previousStatus === "AWAITING_SHIPMENT") return " Your payment will be refunded.";
	return " If a payment was taken, it will be refunded.";
}

export function formatMoney(cents: number, currency: string): string {
	return `${(cents / 100).toFixed(2)} ${currency}`;
}

export function renderEmail(event: NotifyingEvent, customerName: string): Email {
	const shortId = event.orderId.slice(0, 8);
	const greeting = `Hello ${customerName},`;
	switch (event.type) {
		case "order.confirmed":
			return {
				subject: `Order ${shortId} confirmed`,
				text: `${greeting}\n\nyour order ${event.orderId} is confirmed. We charged ${formatMoney(event.totalCents, event.currency)}.\n\nThank you for shopping with us.\n`,
			};
		case "order.cancelled":
			return {
				subject: `Order ${shortId} cancelled`,
				text: `${greeting}\n\nyour order ${event.orderId} was cancelled because ${REASONS[event.reason]}.${chargeNote(event)}\n`,
			};
		case "shipment.dispatched":
			return {
				subject: `Order ${shortId} is on its way`,
				text: `${greeting}\n\nyour order ${event.orderId} left us with ${event.tracking.carrier}. Its tracking number is ${event.tracking.trackingNumber}.\n`,
			};
		case "shipment.delivered":
			return {
				subject: `Order ${shortId} delivered`,
				text: `${greeting}\n\n${event.tracking.carrier} delivered your order ${event.orderId} (tracking number ${event.tracking.trackingNumber}). If something is not right, you can return it from the order's page.\n`,
			};
		case "payment.refunded":
			return {
				subject: `Refund for order ${shortId}`,
				text: `${greeting}\n\nwe refunded ${formatMoney(event.amountCents, event.currency)} for order ${event.orderId}. It should reach your card within a few days.\n`,
			};
	}
}
