import { useLocation } from "preact-iso/router";
import { useEffect, useState } from "preact/hooks";
import { api, call, newIdempotencyKey } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import type { Address, CheckoutBody } from "../api/types";
import { loadCart } from "../cart/cart";
import { money } from "../components/format";
import { Alert, Choice, Field, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { ShippingOptions, useShippingQuote } from "./shipping-options";

/*
 * Checkout: the shipping address, how to ship (shipping-options.tsx), a card, and "Place order", which POSTs /api/cart/checkout with
 * an Idempotency-Key. The key is made once per attempt at placing this order and sent again on
 * every retry of it (a double click, a second click after a network failure), so the shop makes
 * one order however often the request arrives. Only an answer that says no order was made (a
 * refusal other than "being placed already") starts a new attempt with a new key.
 */

/** The card processor sandbox's test cards (docs/payment-sandbox.md): each shows one way a payment goes. */
const CARDS = [
	{ token: "tok_visa", label: "Visa ending 4242", hint: "Approved at once." },
	{ token: "tok_decline", label: "Card that is declined", hint: "The payment fails and the order is cancelled." },
	{ token: "tok_slow", label: "Slow card", hint: "Approved after a few seconds." },
	{ token: "tok_3ds", label: "Card with 3-D Secure", hint: "Asks you to confirm with your bank (3-D Secure)." },
	{ token: "tok_insufficient_funds", label: "Card without enough funds", hint: "Authorised, then declined for insufficient funds." },
] as const;

type AddressForm = Required<Pick<Address, "name" | "line1" | "city" | "postalCode" | "country">> & { line2: string };
const EMPTY: AddressForm = { name: "", line1: "", line2: "", city: "", postalCode: "", country: "" };

/** A refusal after which a retry with the same key could not succeed: no order exists for it. */
function noOrderMade(error: ApiError): boolean {
	return error.status >= 400 && error.status < 500 && error.type !== "IDEMPOTENCY_KEY_BUSY" && error.type !== "IDEMPOTENCY_KEY_REUSED";
}

/** Refusals that mean the options shown are out of date: they are asked for again. */
const STALE_SHIPPING = new Set(["SHIPPING_PRICE_CHANGED", "SHIPPING_OPTION_UNAVAILABLE", "UNKNOWN_SHIPPING_OPTION"]);

export function CheckoutPage() {
	const { route } = useLocation();
	const cart = useLoad(loadCart, []);
	const me = useLoad(() => call(api.GET("/me")), []);
	const [address, setAddress] = useState<AddressForm>(EMPTY);
	const [card, setCard] = useState<string>("tok_visa");
	const [key, setKey] = useState(newIdempotencyKey);
	const [error, setError] = useState<ApiError>();
	const [busy, setBusy] = useState(false);
	const [quoteRound, setQuoteRound] = useState(0);
	const [shippingId, setShippingId] = useState<string>();
	const [shippingError, setShippingError] = useState<string>();
	const quote = useShippingQuote(cart.data?.lines, address.country, address.postalCode, quoteRound);
	const shipping = quote.options.find((option) => option.id === shippingId);

	// The option chosen stays chosen while the shop still offers it at that price; else the cheapest.
	useEffect(() => {
		if (quote.loading) return;
		const kept = quote.options.find((option) => option.id === shippingId);
		if (!kept) setShippingId(quote.options[0]?.id);
	}, [quote.options, quote.loading]);

	// The first saved address, when the customer has one.
	useEffect(() => {
		const saved = me.data?.addresses[0];
		if (saved) setAddress({ ...EMPTY, ...saved, line2: saved.line2 ?? "" });
	}, [me.data]);

	const set = (field: keyof AddressForm) => (value: string) => setAddress((current) => ({ ...current, [field]: value }));
	const fields = error?.fields ?? {};
	const fieldError = (field: keyof AddressForm) => fields[`shippingAddress.${field}`];

	const place = async (event: Event) => {
		event.preventDefault();
		if (busy) return;
		setError(undefined);
		if (!shipping) {
			setShippingError("Choose how to ship the order (enter the country and postal code first).");
			return;
		}
		setShippingError(undefined);
		setBusy(true);
		const body: CheckoutBody = {
			shippingAddress: {
				name: address.name.trim(),
				line1: address.line1.trim(),
				...(address.line2.trim() ? { line2: address.line2.trim() } : {}),
				city: address.city.trim(),
				postalCode: address.postalCode.trim(),
				country: address.country.trim().toUpperCase(),
			},
			paymentMethod: card,
			shippingOptionId: shipping.id,
		};
		try {
			const order = await call(api.POST("/cart/checkout", { body, params: { header: { "Idempotency-Key": key } } }));
			void loadCart().catch(() => undefined);
			route(`/orders/${encodeURIComponent(order.id)}`);
		} catch (err) {
			const problem = asApiError(err);
			if (noOrderMade(problem)) setKey(newIdempotencyKey());
			if (STALE_SHIPPING.has(problem.type)) setQuoteRound((round) => round + 1);
			setError(problem);
			setBusy(false);
		}
	};

	if (cart.error) return <Alert error={cart.error} />;
	if (!cart.data) return <Loading what="the cart" />;
	if (cart.data.lines.length === 0) {
		return (
			<>
				<PageTitle title="Checkout">Checkout</PageTitle>
				<p>
					The cart is empty. <a href="/">Browse the catalogue</a>
				</p>
			</>
		);
	}
	const otherFields = Object.keys(fields).filter((field) => !field.startsWith("shippingAddress."));
	return (
		<>
			<PageTitle title="Checkout">Checkout</PageTitle>
			<section aria-labelledby="summary-heading" class="summary">
				<h2 id="summary-heading">Your order</h2>
				<ul>
					{cart.data.lines.map((line) => (
						<li key={line.productId}>
							{line.qty} × {line.name}: {money(line.lineTotalCents, line.currency)}
						</li>
					))}
				</ul>
				<dl class="totals">
					<dt>Goods</dt>
					<dd>{money(cart.data.totalCents, cart.data.currency)}</dd>
					<dt>Shipping</dt>
					<dd>{shipping ? `${money(shipping.priceCents, shipping.currency)} (${shipping.name})` : "chosen below"}</dd>
					<dt>Total</dt>
					<dd>
						<strong>{money(cart.data.totalCents + (shipping?.priceCents ?? 0), cart.data.currency)}</strong>
					</dd>
				</dl>
				<p>
					<a href="/cart">Change the cart</a>
				</p>
			</section>
			<form class="stack" noValidate onSubmit={(event) => void place(event)}>
				<fieldset>
					<legend>Shipping address</legend>
					<Field
						id="ship-name"
						label="Name"
						autoComplete="shipping name"
						required
						value={address.name}
						onInput={set("name")}
						error={fieldError("name")}
					/>
					<Field
						id="ship-line1"
						label="Street and number"
						autoComplete="shipping address-line1"
						required
						value={address.line1}
						onInput={set("line1")}
						error={fieldError("line1")}
					/>
					<Field
						id="ship-line2"
						label="More of the address"
						autoComplete="shipping address-line2"
						value={address.line2}
						onInput={set("line2")}
						error={fieldError("line2")}
					/>
					<Field
						id="ship-city"
						label="City"
						autoComplete="shipping address-level2"
						required
						value={address.city}
						onInput={set("city")}
						error={fieldError("city")}
					/>
					<Field
						id="ship-postal"
						label="Postal code"
						autoComplete="shipping postal-code"
						required
						value={address.postalCode}
						onInput={set("postalCode")}
						error={fieldError("postalCode")}
					/>
					<Field
						id="ship-country"
						label="Country code"
						hint="Two letters, such as GB, FR or DE."
						autoComplete="shipping country"
						required
						value={address.country}
						onInput={set("country")}
						error={fieldError("country")}
					/>
				</fieldset>
				<ShippingOptions
					quote={quote}
					chosen={shippingId}
					onChoose={(id) => {
						setShippingId(id);
						setShippingError(undefined);
					}}
					error={shippingError}
				/>
				<fieldset>
					<legend>Card (simulated)</legend>
					{CARDS.map((option) => (
						<Choice
							key={option.token}
							id={`card-${option.token}`}
							name="card"
							value={option.token}
							checked={card === option.token}
							onChoose={() => setCard(option.token)}
							label={option.label}
							hint={option.hint}
						/>
					))}
				</fieldset>
				{error && (Object.keys(fields).length === 0 || otherFields.length > 0) ? (
					<Alert error={error}>
						{otherFields.map((field) => (
							<span key={field}> {fields[field]}</span>
						))}
					</Alert>
				) : null}
				<button type="submit" disabled={busy} aria-disabled={busy}>
					{busy ? "Placing the order…" : "Place order"}
				</button>
			</form>
		</>
	);
}
