import { useState } from "preact/hooks";
import { asApiError, type ApiError } from "../api/errors";
import type { CartLine } from "../api/types";
import { loadCart, mergeError, mergeNotes, setQty } from "../cart/cart";
import { MAX_QTY } from "../cart/guest-cart";
import { money } from "../components/format";
import { Alert, Loading, Notice, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { useStore } from "../store";
import { sessionStore } from "../session";

/** The cart API's flags (and the guest cart's, worked out the same way) in words. */
function issueText(line: CartLine, issue: CartLine["issues"][number]): string {
	switch (issue) {
		case "PRICE_CHANGED":
			return `The price changed from ${money(line.addedUnitPriceCents, line.currency)} to ${money(line.unitPriceCents, line.currency)} since it was added.`;
		case "STOCK_SHORT":
			return line.stock === 0 ? "Out of stock now; remove it to check out." : `Only ${line.stock} left in stock; lower the quantity to check out.`;
		case "UNAVAILABLE":
			return "No longer sold; remove it to check out.";
		case "CURRENCY_MISMATCH":
			return "Priced in another currency than the rest of the cart; it cannot be ordered with them.";
	}
}

const MERGE_WORDS: Readonly<Record<string, string>> = {
	QTY_CAPPED: "was capped at 100, the most one order may hold.",
	UNAVAILABLE: "is no longer sold, so it was not kept.",
	CART_FULL: "did not fit: your cart already holds 50 different products.",
	MIXED_CURRENCIES: "is priced in another currency than your cart, so it was not kept.",
};

export function CartPage() {
	const session = useStore(sessionStore);
	const cart = useLoad(loadCart, [session?.customer.id]);
	const notes = useStore(mergeNotes);
	const notMerged = useStore(mergeError);
	const [lineError, setLineError] = useState<{ productId: string; error: ApiError }>();
	const [busy, setBusy] = useState<string>();

	const change = async (line: CartLine, qty: number) => {
		setBusy(line.productId);
		setLineError(undefined);
		try {
			cart.set(await setQty({ id: line.productId, name: line.name, sku: line.sku, priceCents: line.unitPriceCents, currency: line.currency }, qty));
		} catch (err) {
			setLineError({ productId: line.productId, error: asApiError(err) });
		} finally {
			setBusy(undefined);
		}
	};

	const blocked = cart.data?.lines.some((line) => line.issues.some((issue) => issue !== "PRICE_CHANGED")) ?? false;
	return (
		<>
			<PageTitle title="Your cart">Your cart</PageTitle>
			{notes.length > 0 ? (
				<Notice>
					Your cart from before you logged in was added to your account.{" "}
					{notes.map((note) => (
						<span key={note.productId}>
							{note.name} {MERGE_WORDS[note.outcome] ?? `: ${note.outcome}.`}{" "}
						</span>
					))}
					<button type="button" class="link" onClick={() => mergeNotes.set([])}>
						Dismiss
					</button>
				</Notice>
			) : null}
			{notMerged ? (
				<Alert
					error={`The cart you filled before logging in could not be added to your account: ${notMerged} It is kept in this browser and will be added at your next login.`}
				/>
			) : null}
			<Alert error={cart.error} />
			{!cart.data ? <Loading what="the cart" /> : null}
			{cart.data && cart.data.lines.length === 0 ? (
				<p>
					The cart is empty. <a href="/">Browse the catalogue</a>
				</p>
			) : null}
			{cart.data && cart.data.lines.length > 0 ? (
				<>
					<ul class="cart-lines" aria-busy={cart.loading || busy !== undefined}>
						{cart.data.lines.map((line) => (
							<li key={line.productId} class={line.issues.length > 0 ? "cart-line cart-line-flagged" : "cart-line"}>
								<div class="cart-line-name">
									<a href={`/products/${encodeURIComponent(line.productId)}`}>{line.name}</a>
									<span class="meta"> · {money(line.unitPriceCents, line.currency)} each</span>
								</div>
								<div class="cart-line-qty">
									<label for={`qty-${line.productId}`}>Quantity of {line.name}</label>
									<select
										id={`qty-${line.productId}`}
										value={String(line.qty)}
										disabled={busy === line.productId}
										onChange={(event) => void change(line, Number(event.currentTarget.value))}
									>
										{Array.from({ length: Math.max(line.qty, Math.min(MAX_QTY, Math.max(line.stock, 10))) }, (_, index) => index + 1).map(
											(qty) => (
												<option key={qty} value={String(qty)}>
													{qty}
												</option>
											),
										)}
									</select>
									<button type="button" class="secondary" disabled={busy === line.productId} onClick={() => void change(line, 0)}>
										Remove<span class="visually-hidden"> {line.name}</span>
									</button>
								</div>
								<p class="cart-line-total">{money(line.lineTotalCents, line.currency)}</p>
								{line.issues.length > 0 ? (
									<ul class="issues" aria-label={`About ${line.name}`}>
										{line.issues.map((issue) => (
											<li key={issue} class={`issue issue-${issue}`}>
												{issueText(line, issue)}
											</li>
										))}
									</ul>
								) : null}
								{lineError?.productId === line.productId ? <Alert error={lineError.error} /> : null}
							</li>
						))}
					</ul>
					<p class="cart-total">
						Total: <strong>{money(cart.data.totalCents, cart.data.currency)}</strong> for {cart.data.itemCount} item
						{cart.data.itemCount === 1 ? "" : "s"}
					</p>
					{blocked ? <Alert error="Some lines cannot be ordered as they are; change them as noted above to check out." /> : null}
					{session ? (
						blocked ? null : (
							<a href="/checkout" class="button">
								Check out
							</a>
						)
					) : (
						<p>
							<a href="/login?next=%2Fcheckout" class="button">
								Log in to check out
							</a>{" "}
							or <a href="/register?next=%2Fcheckout">create an account</a>; this cart comes with you.
						</p>
					)}
				</>
			) : null}
		</>
	);
}
