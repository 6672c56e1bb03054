import type { OrderCancelled, OrderConfirmed, PaymentRefunded } from "../../contracts";

export type NotifyingEvent = OrderConfirmed | OrderCancelled | PaymentRefunded;

export interface Email {
	subject: string;
	text: string;
}

const REASONS: Record<OrderCancelled["reason"], string> = {
	OUT_OF_STOCK: "some items were out of stock",
	PAYMENT_DECLINED: "the payment was declined",
	TIMEOUT: "it could not be completed in time",
	CUSTOMER_CANCELLED: "you cancelled it",
};

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
				text: `${greeting}\n\nyour order ${event.orderId} was cancelled because ${REASONS[event.reason]}.${
					event.reason === "PAYMENT_DECLINED" || event.previousStatus === "PENDING" ? " You have not been charged." : ""
				}\n`,
			};
		case "payment.refunded":
			return {
				subject: `Refund for order ${shortId}`,
				text: `${greeting}\n\nwe refunded ${formatMoney(event.amountCents, event.currency)} for order ${event.orderId}. It should reach your card within a few days.\n`,
			};
	}
}
