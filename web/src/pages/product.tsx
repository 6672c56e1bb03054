import { useState } from "preact/hooks";
import { api, call } from "../api/client";
import { addToCart } from "../cart/cart";
import { MAX_QTY } from "../cart/guest-cart";
import { money } from "../components/format";
import { Alert, Field, Loading, Notice, PageError, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { useLoad } from "../components/use-load";

export function ProductPage(props: { id: string }) {
	const product = useLoad(() => call(api.GET("/products/{id}", { params: { path: { id: props.id } } })), [props.id]);
	const [qty, setQty] = useState("1");
	const [added, setAdded] = useState<string>();
	const adding = useAction();

	if (product.error) {
		return <PageError title="Product not found" heading="Product not found" error={product.error} back={{ href: "/", label: "Back to the catalogue" }} />;
	}
	if (!product.data) return <Loading what="the product" />;
	const item = product.data;
	const max = Math.min(MAX_QTY, item.stock);
	const wanted = Number(qty);
	const qtyProblem =
		!Number.isInteger(wanted) || wanted < 1 ? "Enter a whole number, 1 or more." : wanted > max ? `At most ${max} can be ordered.` : undefined;

	const add = async (event: Event) => {
		event.preventDefault();
		if (qtyProblem) return;
		setAdded(undefined);
		await adding.run(async () => {
			await addToCart(item, wanted);
			setAdded(`${wanted} × ${item.name} added to your cart.`);
		});
	};

	return (
		<article class="product">
			<PageTitle title={item.name}>{item.name}</PageTitle>
			<p class="price">{money(item.priceCents, item.currency)}</p>
			<p class="meta">
				Category: <a href={`/?category=${encodeURIComponent(item.category)}`}>{item.category}</a> · SKU {item.sku}
			</p>
			{item.description ? <p class="description">{item.description}</p> : null}
			{!item.active ? <Alert error="This product is no longer sold." /> : null}
			<p class={item.stock > 0 ? "stock" : "stock stock-out"}>{item.stock > 0 ? `${item.stock} in stock` : "Out of stock"}</p>
			{item.active && item.stock > 0 ? (
				<form class="add" onSubmit={(event) => void add(event)} noValidate>
					<Field id="qty" label="Quantity" type="number" min={1} max={max} value={qty} onInput={setQty} error={qty === "" ? undefined : qtyProblem} />
					<button type="submit" disabled={adding.busy || Boolean(qtyProblem)}>
						Add to cart
					</button>
				</form>
			) : null}
			<Alert error={adding.error} />
			{added ? (
				<Notice>
					{added} <a href="/cart">Go to the cart</a>
				</Notice>
			) : null}
		</article>
	);
}
