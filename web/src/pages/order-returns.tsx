import { useState } from "preact/hooks";
import { api, call, newIdempotencyKey } from "../api/client";
import { asApiError } from "../api/errors";
import type { Order, Schemas } from "../api/types";
import { dateTime, money } from "../components/format";
import { Alert } from "../components/ui";
import { useAction } from "../components/use-action";

/*
 * An order's returns on its page: those asked for, with where each stands, and while the return
 * window is open a form to send back some or all of what is left (POST /api/orders/:id/returns).
 * The refund follows once the shop has the parcel.
 */

type OrderReturn = Schemas["OrderReturn"];

const RETURN_WORDS: Readonly<Record<OrderReturn["status"], string>> = {
	REQUESTED: "Asked for: send the parcel back to the shop",
	RECEIVED: "Received by the shop: the refund is on its way",
	REFUNDED: "Refunded",
};

/** Per product, how many units are not yet in a return. */
function leftToReturn(order: Order): Map<string, number> {
	const left = new Map(order.items.map((line) => [line.productId, line.qty]));
	for (const ret of order.returns ?? []) for (const line of ret.items) left.set(line.productId, (left.get(line.productId) ?? 0) - line.qty);
	return left;
}

export function OrderReturns(props: { order: Order; onChange(order: Order): void }) {
	const { order } = props;
	const [qty, setQty] = useState<Record<string, number>>({});
	// One key per return asked for, sent again on a retry (a double click, a lost answer): one return.
	const [key, setKey] = useState(newIdempotencyKey);
	const asking = useAction();
	const names = new Map(order.items.map((line) => [line.productId, line.name]));
	const left = leftToReturn(order);
	const open = order.status === "DELIVERED" && order.returnableUntil !== undefined && Date.parse(order.returnableUntil) >= Date.now();
	const returnable = order.items.filter((line) => (left.get(line.productId) ?? 0) > 0);
	const chosen = Object.entries(qty).filter(([, count]) => count > 0);

	const ask = (event: Event) => {
		event.preventDefault();
		void asking.run(async () => {
			const items = chosen.map(([productId, count]) => ({ productId, qty: count }));
			try {
				const params = { path: { id: order.id }, header: { "Idempotency-Key": key } };
				props.onChange(await call(api.POST("/orders/{id}/returns", { params, body: { items } })));
			} catch (err) {
				// A refusal made no return: the next attempt is a new request. A lost answer keeps the key.
				const status = asApiError(err).status;
				if (status >= 400 && status < 500) setKey(newIdempotencyKey());
				throw err;
			}
			setKey(newIdempotencyKey());
			setQty({});
		});
	};

	if (!open && (order.returns ?? []).length === 0) return null;
	return (
		<section aria-labelledby="returns-heading">
			<h2 id="returns-heading">Returns</h2>
			{(order.returns ?? []).length > 0 ? (
				<ul class="returns">
					{order.returns!.map((ret) => (
						<li key={ret.id}>
							{ret.items.map((line) => `${line.qty} × ${names.get(line.productId) ?? line.productId}`).join(", ")}:{" "}
							{money(ret.refundCents, order.currency)}
							{ret.includesShipping ? " with shipping" : ""} · <strong>{RETURN_WORDS[ret.status]}</strong>{" "}
							<span class="meta">{dateTime(ret.refundedAt ?? ret.receivedAt ?? ret.requestedAt)}</span>
						</li>
					))}
				</ul>
			) : null}
			{open && returnable.length > 0 ? (
				<form class="stack" onSubmit={ask} aria-describedby="returns-window">
					<p class="hint" id="returns-window">
						You can send back what you bought until {dateTime(order.returnableUntil!)}. Shipping is refunded when the whole order comes back.
					</p>
					{returnable.map((line) => (
						<div class="field" key={line.productId}>
							<label for={`return-${line.productId}`}>Return of {line.name}</label>
							<select
								id={`return-${line.productId}`}
								value={String(qty[line.productId] ?? 0)}
								onChange={(event) => setQty((current) => ({ ...current, [line.productId]: Number(event.currentTarget.value) }))}
							>
								{Array.from({ length: (left.get(line.productId) ?? 0) + 1 }, (_, count) => (
									<option key={count} value={String(count)}>
										{count}
									</option>
								))}
							</select>
						</div>
					))}
					<Alert error={asking.error} />
					<button type="submit" class="secondary" disabled={asking.busy || chosen.length === 0}>
						Ask to return
					</button>
				</form>
			) : null}
		</section>
	);
}
