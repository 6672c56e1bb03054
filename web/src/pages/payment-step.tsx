import { useEffect, useRef } from "preact/hooks";
import type { StatusChange } from "../api/order-events";
import type { Order } from "../api/types";
import type { Loaded } from "../components/use-load";

/*
 * 3-D Secure on the order page. A card that needs it leaves the order AWAITING_PAYMENT with a
 * `paymentActionUrl`, the bank's page (the processor's sandbox, another origin), and adds a
 * history entry PAYMENT_ACTION_REQUIRED, which the live stream delivers like any change. The
 * stream carries no URL, so the page reads the order again when that entry arrives. The bank
 * sends the customer back to /orders/<id>?payment_intent=…: from then on the page says it is
 * checking, not "confirm", until the stream moves the order on (the bank's answer reaches the
 * shop by the processor's webhook, a moment after the customer).
 */

export const ACTION_REQUIRED = "PAYMENT_ACTION_REQUIRED";

/** The bank's page, when the order waits for the customer there; only an http(s) address becomes a link (never a javascript: one). */
export function actionUrl(order: Pick<Order, "paymentActionUrl">, status: Order["status"] | undefined): string | undefined {
	if (status !== "AWAITING_PAYMENT" || !order.paymentActionUrl) return undefined;
	try {
		const url = new URL(order.paymentActionUrl);
		return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
	} catch {
		return undefined;
	}
}

/** What the status line says while the payment waits on the customer, or undefined when it does not. */
export function paymentWaitText(status: Order["status"] | undefined, url: string | undefined, returning: boolean): string | undefined {
	if (status !== "AWAITING_PAYMENT") return undefined;
	// Back from the bank: its answer is on its way to the shop, so "confirm" again would mislead.
	if (returning) return "Checking your payment…";
	return url ? "Waiting for you to confirm the payment with your bank" : undefined;
}

/**
 * Reads the order again when the stream's latest change is the bank's request and the order as
 * read has no URL yet: once per such change, so a read that overtook the change is not repeated forever.
 */
export function useActionUrlReload(order: Loaded<Order>, history: StatusChange[]): void {
	const readFor = useRef<number>(-1);
	const latest = history.at(-1);
	const waiting = latest?.status === "AWAITING_PAYMENT" && latest.reason === ACTION_REQUIRED;
	useEffect(() => {
		if (!waiting || !order.data || order.loading || order.data.paymentActionUrl || readFor.current === history.length) return;
		readFor.current = history.length;
		order.reload();
	}, [waiting, history.length, order.data, order.loading, order.reload]);
}

/**
 * The step the customer has to take: a region named by its heading, what the bank asks in words,
 * and a plain link (same tab: the bank sends them back here) styled as a button, first in the
 * page's focus order after the status so the keyboard reaches it at once.
 */
export function ConfirmPayment(props: { url: string; amount: string }) {
	return (
		<section class="action-step" aria-labelledby="confirm-payment-heading">
			<h2 id="confirm-payment-heading">Confirm your payment</h2>
			<p>Your bank asks you to confirm this payment of {props.amount} (3-D Secure). The order waits until you do; nothing is charged before then.</p>
			<p>
				<a class="button" href={props.url}>
					Confirm with your bank
				</a>
			</p>
		</section>
	);
}
