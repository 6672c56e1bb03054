import { useLocation } from "preact-iso/router";
import { useState } from "preact/hooks";
import { api, call } from "../api/client";
import type { Product } from "../api/types";
import { Alert, Field, Loading, Notice, PageError, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { useLoad } from "../components/use-load";
import { centsOf, fieldsOf, gramsOf, ProductForm, type ProductFields } from "./product-form";
import { adminError, inWords } from "./words";

/*
 * A new product (/admin/products/new), or one product's page (/admin/products/:id): its details
 * (PATCH with only what changed), its stock on a form of its own, and whether it is sold
 * (POST …/deactivate, and PATCH active: true to sell it again). Each answer replaces the product
 * shown, so the page always shows what the API holds.
 */

function bodyOf(fields: ProductFields) {
	return {
		sku: fields.sku,
		name: fields.name,
		description: fields.description,
		category: fields.category,
		priceCents: centsOf(fields.price)!,
		currency: fields.currency,
		...(gramsOf(fields.weight) === undefined ? {} : { weightGrams: gramsOf(fields.weight) }),
	};
}

/** Only the fields the admin changed: a PATCH of an unchanged SKU or price would still be a write and an event. */
function changes(before: Product, fields: ProductFields): Partial<ReturnType<typeof bodyOf>> {
	const after = bodyOf(fields);
	return Object.fromEntries(Object.entries(after).filter(([key, value]) => before[key as keyof typeof after] !== value));
}

function NewProduct() {
	const { route } = useLocation();
	const save = useAction(adminError);
	return (
		<>
			<PageTitle title="New product · Admin">New product</PageTitle>
			<ProductForm
				initial={fieldsOf()}
				withStock
				submitLabel="Create product"
				busy={save.busy}
				error={save.error}
				onSubmit={(fields) =>
					void save.run(async () => {
						const stock = Number(fields.stock);
						const created = await call(api.POST("/products", { body: { ...bodyOf(fields), stock: fields.stock === "" ? 0 : stock } }));
						route(`/admin/products/${encodeURIComponent(created.id)}?created=1`, true);
					})
				}
			/>
		</>
	);
}

/** The stock errors said at the stock's field: the server's stock moved under the admin's change. */
const STOCK_MOVED = new Set(["STOCK_CHANGED_CONCURRENTLY", "STOCK_NOT_AS_EXPECTED"]);

/**
 * Sets the stock from the figure shown (expectedStock): if orders reserved or released some since
 * the page read it, the API changes nothing (409), and the page shows the stock as it is now.
 */
function StockForm(props: { product: Product; onChanged(product: Product): void }) {
	const [stock, setStock] = useState(String(props.product.stock));
	const [done, setDone] = useState<string>();
	const action = useAction(adminError);
	return (
		<form
			class="filters"
			noValidate
			aria-labelledby="stock-heading"
			onSubmit={(event) => {
				event.preventDefault();
				setDone(undefined);
				void action.run(async () => {
					const path = { params: { path: { id: props.product.id } } };
					const product = await call(
						api.PATCH("/products/{id}", { ...path, body: { stock: Number(stock), expectedStock: props.product.stock } }),
					).catch(async (err: unknown) => {
						if (adminError(err).type === "STOCK_NOT_AS_EXPECTED") props.onChanged(await call(api.GET("/products/{id}", path)));
						throw err;
					});
					props.onChanged(product);
					setStock(String(product.stock));
					setDone(`The stock is now ${product.stock}.`);
				});
			}}
		>
			<Field
				id="product-new-stock"
				label="Units in stock"
				type="number"
				min={0}
				value={stock}
				onInput={setStock}
				error={action.error?.fields.stock ?? (action.error && STOCK_MOVED.has(action.error.type) ? action.error.message : undefined)}
			/>
			<button type="submit" disabled={action.busy}>
				Set stock
			</button>
			{action.error && !action.error.fields.stock && !STOCK_MOVED.has(action.error.type) ? <Alert error={action.error} /> : null}
			{done ? <Notice>{done}</Notice> : null}
		</form>
	);
}

export function ProductEditPage(props: { id?: string }) {
	const { query } = useLocation();
	if (!props.id) return <NewProduct />;
	return <EditProduct id={props.id} created={query.created !== undefined} />;
}

function EditProduct(props: { id: string; created: boolean }) {
	const product = useLoad(() => inWords(call(api.GET("/products/{id}", { params: { path: { id: props.id } } }))), [props.id]);
	const save = useAction(adminError);
	const sale = useAction(adminError);
	const [saved, setSaved] = useState<string>(props.created ? "The product was created." : "");

	if (product.error) {
		return <PageError title="Product · Admin" heading="Product" error={product.error} back={{ href: "/admin/products", label: "All products" }} />;
	}
	if (!product.data) return <Loading what="the product" />;
	const item = product.data;
	const setActive = (active: boolean) =>
		void sale.run(async () => {
			const path = { params: { path: { id: item.id } } };
			product.set(await call(active ? api.PATCH("/products/{id}", { ...path, body: { active: true } }) : api.POST("/products/{id}/deactivate", path)));
			setSaved(active ? "The product is on sale again." : "The product is deactivated: shoppers no longer see it.");
		});

	return (
		<>
			<PageTitle title={`${item.name} · Admin`}>{item.name}</PageTitle>
			<p class="meta">
				<a href="/admin/products">All products</a> · <a href={`/products/${encodeURIComponent(item.id)}`}>Its page in the storefront</a>
			</p>
			{saved ? <Notice>{saved}</Notice> : null}
			<h2>Details</h2>
			<ProductForm
				version={item.updatedAt}
				initial={fieldsOf(item)}
				withStock={false}
				submitLabel="Save changes"
				busy={save.busy}
				error={save.error}
				onSubmit={(fields) =>
					void save.run(async () => {
						setSaved("");
						const body = changes(item, fields);
						if (Object.keys(body).length === 0) return setSaved("Nothing changed.");
						product.set(await call(api.PATCH("/products/{id}", { params: { path: { id: item.id } }, body })));
						setSaved("The changes are saved.");
					})
				}
			/>
			<h2 id="stock-heading">Stock</h2>
			<p>{item.stock} available to order now (stock held for orders in progress is not counted).</p>
			<StockForm product={item} onChanged={product.set} />
			<h2>Sale</h2>
			<p>{item.active ? "On sale: shoppers can find and order it." : "Deactivated: hidden from shoppers; orders that name it keep it."}</p>
			<button type="button" class="secondary" disabled={sale.busy} onClick={() => setActive(!item.active)}>
				{item.active ? "Deactivate" : "Put back on sale"}
			</button>
			<Alert error={sale.error} />
		</>
	);
}
