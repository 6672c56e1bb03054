import { useLocation } from "preact-iso/router";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { ApiError } from "../api/errors";
import { followOrder, type StatusChange, type StreamState } from "../api/order-events";
import type { Order } from "../api/types";
import { dateTime, money } from "../components/format";
import { Alert, Loading, PageError, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { useLoad } from "../components/use-load";
import type { Query } from "../router";
import { OrderReturns } from "./order-returns";
import { ACTION_REQUIRED, actionUrl, ConfirmPayment, paymentWaitText, useActionUrlReload } from "./payment-step";

/*
 * One order, its status followed live (GET /api/orders/:id/events, read by order-events.ts)
 * until it is CONFIRMED or CANCELLED: the saga's steps appear as they happen, without a reload.
 * The status sits in a polite live region, so a screen reader says each change. The parcel's
 * later steps (shipped, delivered) take days: they show when the page is opened again. A card
 * that needs the customer's 3-D Secure confirmation adds a step to take here (payment-step.tsx).
 */

export const STATUS_WORDS: Readonly<Record<Order["status"], string>> = {
	PENDING: "Placed: reserving the stock",
	AWAITING_PAYMENT: "Stock reserved: charging the card",
	AWAITING_SHIPMENT: "Paid: booking the parcel with the carrier",
	CONFIRMED: "Confirmed: the parcel is labelled",
	SHIPPED: "Shipped: the parcel is on its way",
	DELIVERED: "Delivered",
	CANCELLED: "Cancelled",
};

/** The saga's statuses: followed live, and the customer may still cancel (the carrier has no label yet). */
const IN_SAGA: ReadonlySet<string> = new Set(["PENDING", "AWAITING_PAYMENT", "AWAITING_SHIPMENT"]);

const REASON_WORDS: Readonly<Record<string, string>> = {
	OUT_OF_STOCK: "some of the products were out of stock",
	PAYMENT_DECLINED: "the card was declined",
	SHIPPING_REFUSED: "the carrier would not take the parcel to this address; the payment is refunded",
	TIMEOUT: "a step took too long",
	CUSTOMER_CANCELLED: "you cancelled it",
};

function cancelText(order: Pick<Order, "cancelReason">, history: StatusChange[]): string {
	const reason = order.cancelReason ?? history.at(-1)?.reason;
	// A declined payment the bank had asked the customer to confirm was refused there, not a bad card.
	if (reason === "PAYMENT_DECLINED" && history.some((step) => step.reason === ACTION_REQUIRED)) {
		return "Cancelled: the payment was not confirmed with your bank.";
	}
	return reason && REASON_WORDS[reason] ? `Cancelled: ${REASON_WORDS[reason]}.` : "Cancelled.";
}

/** A step in words: the bank's request is an AWAITING_PAYMENT entry too, but says something else. */
function stepText(step: Pick<StatusChange, "status" | "reason">): string {
	return step.reason === ACTION_REQUIRED ? "Your bank asked you to confirm the payment" : STATUS_WORDS[step.status];
}

export function OrderPage(props: { id: string }) {
	const query: Query = useLocation().query;
	const order = useLoad(() => call(api.GET("/orders/{id}", { params: { path: { id: props.id } } })), [props.id]);
	const [history, setHistory] = useState<StatusChange[]>([]);
	const [stream, setStream] = useState<StreamState>("connecting");
	const [streamError, setStreamError] = useState<ApiError>();
	const cancelling = useAction();

	useEffect(() => {
		setHistory([]);
		setStreamError(undefined);
		return followOrder(props.id, {
			onChange: (change, index) =>
				setHistory((current) => {
					const next = current.slice(0, Number.isInteger(index) ? index : current.length);
					next[Number.isInteger(index) ? index : next.length] = change;
					return next;
				}),
			onState: setStream,
			onError: setStreamError,
		});
	}, [props.id]);

	// The stream ends at CONFIRMED: the parcel's later steps are in the order as read.
	const readFurther = order.data !== undefined && order.data.history.length > history.length;
	const status = readFurther ? order.data?.status : (history.at(-1)?.status ?? order.data?.status);
	const final = status !== undefined && !IN_SAGA.has(status);
	// The order as first read, read again once when it turns final (its cancel reason, refunds).
	const refreshed = useRef(false);
	useEffect(() => {
		if (!final || refreshed.current || !order.data || order.loading || order.data.status === status) return;
		refreshed.current = true;
		order.reload();
	}, [final, status, order.data, order.loading, order.reload]);
	useActionUrlReload(order, history);

	const cancel = () =>
		cancelling.run(async () => {
			order.set(await call(api.POST("/orders/{id}/cancel", { params: { path: { id: props.id } } })));
		});

	if (order.error) {
		return <PageError title="Order" heading="Order" error={order.error} back={{ href: "/orders", label: "Your orders" }} />;
	}
	if (!order.data) return <Loading what="the order" />;
	const data = order.data;
	const steps = history.length > 0 && !readFurther ? history : data.history.map((step) => ({ orderId: data.id, ...step }));
	const bankUrl = actionUrl(data, status);
	// The bank sent the customer back here (PAYMENTS_RETURN_URL) with the intent's id.
	const returning = query.payment_intent !== undefined;
	const waitText = paymentWaitText(status, bankUrl, returning);
	return (
		<>
			<PageTitle title="Your order">Your order</PageTitle>
			<p class="meta">
				Order {data.id} · placed {dateTime(data.createdAt)}
			</p>
			<div class={`status status-${status ?? "PENDING"}`} role="status" aria-live="polite" aria-atomic="true">
				<strong>{status === "CANCELLED" ? cancelText(data, steps) : (waitText ?? STATUS_WORDS[status ?? "PENDING"])}</strong>
				{!final && stream !== "ended" ? <span class="meta"> · following live{stream === "reconnecting" ? " (reconnecting…)" : ""}</span> : null}
			</div>
			<Alert error={streamError} />
			{bankUrl && !returning ? <ConfirmPayment url={bankUrl} amount={money(data.totalCents, data.currency)} /> : null}
			<ol class="steps" aria-label="What happened so far">
				{steps.map((step, index) => (
					<li key={index}>
						<span class="step-status">{stepText(step)}</span> <span class="meta">{dateTime(step.at)}</span>
					</li>
				))}
			</ol>
			<h2>Items</h2>
			<ul>
				{data.items.map((item) => (
					<li key={item.productId}>
						{item.qty} × {item.name}: {money(item.lineTotalCents, data.currency)}
					</li>
				))}
			</ul>
			<dl class="totals">
				<dt>Goods</dt>
				<dd>{money(data.goodsCents, data.currency)}</dd>
				<dt>Shipping</dt>
				<dd>
					{money(data.shippingCents, data.currency)}
					{data.shipping ? ` (${data.shipping.name}, ${data.shipping.days.min}–${data.shipping.days.max} working days)` : ""}
				</dd>
				<dt>Total</dt>
				<dd>
					<strong>{money(data.totalCents, data.currency)}</strong>
					{data.refundedCents > 0 ? <span> · refunded {money(data.refundedCents, data.currency)}</span> : null}
				</dd>
			</dl>
			<p class="meta">
				To {data.shippingAddress.name}, {data.shippingAddress.line1}, {data.shippingAddress.postalCode} {data.shippingAddress.city},{" "}
				{data.shippingAddress.country}
			</p>
			{data.tracking ? (
				<p>
					Tracking: <span class="tracking">{data.tracking.trackingNumber}</span> ({data.tracking.carrier})
				</p>
			) : null}
			{IN_SAGA.has(status ?? "PENDING") || (status === "CONFIRMED" && !data.shipping) ? (
				<p>
					<button type="button" class="secondary" disabled={cancelling.busy} onClick={() => void cancel()}>
						Cancel this order
					</button>
				</p>
			) : null}
			<Alert error={cancelling.error} />
			<OrderReturns order={data} onChange={order.set} />
			<p>
				<a href="/orders">All your orders</a>
			</p>
		</>
	);
}
