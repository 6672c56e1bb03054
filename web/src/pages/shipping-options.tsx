import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import type { Schemas } from "../api/types";
import { money } from "../components/format";
import { Alert, Choice } from "../components/ui";

/*
 * The shipping options at checkout: once the address has a country and a postal code, the shop
 * is asked what reaches it for the cart's lines (POST /api/shipping/quotes), and the customer
 * picks one. The order then names the option with its price (`standard:490`), so a price that
 * changed since is refused rather than charged; the checkout asks again after such a refusal.
 */

export type ShippingOption = Schemas["ShippingOption"];
type Line = { productId: string; qty: number };

/** Waits this long after the last keystroke in the address before asking for a quote. */
const QUOTE_DELAY_MS = 400;

export interface QuoteState {
	options: ShippingOption[];
	error?: ApiError;
	loading: boolean;
}

/** The quote for these lines to this destination, asked again when either changes or `round` moves on. */
export function useShippingQuote(lines: Line[] | undefined, country: string, postalCode: string, round: number): QuoteState {
	const [state, setState] = useState<QuoteState>({ options: [], loading: false });
	const destination = { country: country.trim().toUpperCase(), postalCode: postalCode.trim() };
	const ready = lines !== undefined && lines.length > 0 && /^[A-Z]{2}$/.test(destination.country) && destination.postalCode !== "";
	// Only what a quote takes: a cart's line carries its name, prices and flags too.
	const items = (lines ?? []).map((line) => ({ productId: line.productId, qty: line.qty }));
	const linesKey = JSON.stringify(items);
	useEffect(() => {
		if (!ready) {
			setState({ options: [], loading: false });
			return;
		}
		let current = true;
		setState((previous) => ({ options: previous.options, loading: true }));
		const timer = setTimeout(() => {
			call(api.POST("/shipping/quotes", { body: { items, destination } })).then(
				(quote) => current && setState({ options: quote.options, loading: false }),
				(err: unknown) => current && setState({ options: [], error: asApiError(err), loading: false }),
			);
		}, QUOTE_DELAY_MS);
		return () => {
			current = false;
			clearTimeout(timer);
		};
	}, [ready, linesKey, destination.country, destination.postalCode, round]);
	return state;
}

function days(option: ShippingOption): string {
	const { min, max } = option.days;
	const span = min === max ? `${min}` : `${min}–${max}`;
	return `${span} working ${max === 1 ? "day" : "days"}`;
}

export function ShippingOptions(props: { quote: QuoteState; chosen?: string; onChoose(id: string): void; error?: string }) {
	const { quote } = props;
	return (
		<fieldset aria-busy={quote.loading} aria-describedby={props.error ? "shipping-error" : undefined}>
			<legend>Shipping</legend>
			{quote.options.length === 0 && !quote.loading && !quote.error ? (
				<p class="hint">Enter the country and postal code to see how the order can be sent.</p>
			) : null}
			{quote.loading && quote.options.length === 0 ? (
				<p class="hint" role="status">
					Asking what shipping costs…
				</p>
			) : null}
			<Alert error={quote.error} />
			{quote.options.map((option) => (
				<Choice
					key={option.id}
					id={`ship-${option.optionId}`}
					name="shipping"
					value={option.id}
					checked={props.chosen === option.id}
					onChoose={() => props.onChoose(option.id)}
					label={`${option.name}: ${money(option.priceCents, option.currency)}`}
					hint={`Arrives in ${days(option)} after dispatch.`}
				/>
			))}
			{props.error ? (
				<p class="field-error" id="shipping-error">
					{props.error}
				</p>
			) : null}
		</fieldset>
	);
}
