import { useEffect, useState } from "preact/hooks";
import type { ApiError } from "../api/errors";
import type { Product } from "../api/types";
import { Alert, Field } from "../components/ui";

/*
 * A product's details as a form, for creating one and for editing it. The API validates (422,
 * one message per field in the error's data); each message is shown under the input it is
 * about. The price is typed in the currency (12.50) and sent in cents, the API's unit, so its
 * messages about priceCents are shown under the price.
 */

export interface ProductFields {
	sku: string;
	name: string;
	description: string;
	category: string;
	price: string;
	currency: string;
	/** One unit packed, in grams, as typed. */
	weight: string;
	stock: string;
}

export function fieldsOf(product?: Product): ProductFields {
	return {
		sku: product?.sku ?? "",
		name: product?.name ?? "",
		description: product?.description ?? "",
		category: product?.category ?? "",
		price: product ? (product.priceCents / 100).toFixed(2) : "",
		currency: product?.currency ?? "EUR",
		weight: product ? String(product.weightGrams) : "",
		stock: product ? String(product.stock) : "0",
	};
}

/** Cents from "12.50" or "12,5" or "12"; undefined when it is not a price. */
export function centsOf(price: string): number | undefined {
	const found = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(price);
	if (!found) return undefined;
	return Number(found[1]) * 100 + Number((found[2] ?? "0").padEnd(2, "0"));
}

/** The API's field names, as the form's: priceCents is typed as a price, weightGrams as a weight. */
export function formErrors(error?: ApiError): Partial<Record<keyof ProductFields, string>> {
	const fields = error?.fields ?? {};
	const { priceCents, weightGrams, ...rest } = fields;
	// A taken SKU is the SKU field's problem too: said next to it, as well as above the button.
	const sku = rest.sku ?? (error?.type === "SKU_TAKEN" ? error.message : undefined);
	return { ...rest, ...(priceCents ? { price: priceCents } : {}), ...(weightGrams ? { weight: weightGrams } : {}), ...(sku ? { sku } : {}) };
}

/** Grams from "1200"; undefined when the field was left empty (the API then weighs it at its default). */
export function gramsOf(weight: string): number | undefined {
	return weight.trim() === "" ? undefined : Number(weight);
}

interface Props {
	initial: ProductFields;
	/** When it changes (the product's updatedAt after a save), the inputs start again from `initial`: the API trims and upper-cases. */
	version?: string;
	/** Stock is set on its own form once the product exists (it is a compare-and-set). */
	withStock: boolean;
	submitLabel: string;
	busy: boolean;
	error?: ApiError;
	onSubmit(fields: ProductFields): void;
}

export function ProductForm(props: Props) {
	const [fields, setFields] = useState(props.initial);
	const [priceProblem, setPriceProblem] = useState<string>();
	// Not a remount (a new key): the focus stays on the button that was pressed.
	useEffect(() => setFields(props.initial), [props.version]);
	const set = (key: keyof ProductFields) => (value: string) => setFields((current) => ({ ...current, [key]: value }));
	const errors = formErrors(props.error);
	return (
		<form
			class="stack admin-form"
			noValidate
			onSubmit={(event) => {
				event.preventDefault();
				// Said here rather than sent: "12.5O" is a typo, not a question for the API.
				const problem = centsOf(fields.price) === undefined ? "Enter a price such as 12.50 (no currency sign)." : undefined;
				setPriceProblem(problem);
				if (!problem) props.onSubmit(fields);
			}}
		>
			<Field
				id="product-sku"
				label="SKU"
				required
				value={fields.sku}
				onInput={set("sku")}
				hint="Letters, digits, dots, dashes and underscores; no spaces."
				error={errors.sku}
			/>
			<Field id="product-name" label="Name" required value={fields.name} onInput={set("name")} error={errors.name} />
			<div class={errors.description ? "field field-invalid" : "field"}>
				<label for="product-description">Description</label>
				<textarea
					id="product-description"
					rows={3}
					value={fields.description}
					onInput={(event) => set("description")(event.currentTarget.value)}
					aria-invalid={errors.description ? "true" : undefined}
					aria-describedby={errors.description ? "product-description-error" : undefined}
				/>
				{errors.description ? (
					<p class="field-error" id="product-description-error">
						{errors.description}
					</p>
				) : null}
			</div>
			<Field
				id="product-category"
				label="Category"
				required
				value={fields.category}
				onInput={set("category")}
				hint="Letters, digits, spaces, dashes and underscores."
				error={errors.category}
			/>
			<Field
				id="product-price"
				label="Price"
				required
				value={fields.price}
				onInput={set("price")}
				hint="In the currency below, e.g. 12.50."
				error={priceProblem ?? errors.price}
			/>
			<Field
				id="product-currency"
				label="Currency"
				required
				value={fields.currency}
				onInput={set("currency")}
				hint="Three letters, e.g. EUR."
				error={errors.currency}
			/>
			<Field
				id="product-weight"
				label="Weight (g)"
				type="number"
				min={1}
				value={fields.weight}
				onInput={set("weight")}
				hint="One unit packed, in grams: what shipping is quoted by. Left empty, 500 g."
				error={errors.weight}
			/>
			{props.withStock ? (
				<Field id="product-stock" label="Stock" type="number" min={0} value={fields.stock} onInput={set("stock")} error={errors.stock} />
			) : null}
			<Alert error={props.error} />
			<button type="submit" disabled={props.busy}>
				{props.submitLabel}
			</button>
		</form>
	);
}
