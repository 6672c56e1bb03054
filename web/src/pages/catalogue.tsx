import { useLocation } from "preact-iso/router";
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import { asApiError, type ApiError } from "../api/errors";
import type { Product, ProductQuery } from "../api/types";
import { addToCart } from "../cart/cart";
import { money } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, Notice, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";

/*
 * The catalogue: search, category, sort and page are the URL's query (?q=&category=&sort=&page=),
 * so a search can be linked to and the back button returns to the previous one.
 */

const PAGE_SIZE = 12;
const SORTS: { value: NonNullable<ProductQuery["sort"]> | ""; label: string }[] = [
	{ value: "", label: "Default order" },
	{ value: "price", label: "Price, low to high" },
	{ value: "-price", label: "Price, high to low" },
	{ value: "name", label: "Name, A to Z" },
	{ value: "-name", label: "Name, Z to A" },
];

function queryOf(query: Query): { q: string; category: string; sort: string; page: number } {
	const page = Number(query.page ?? "1");
	return {
		q: query.q ?? "",
		category: query.category ?? "",
		sort: SORTS.some((sort) => sort.value === query.sort) ? (query.sort ?? "") : "",
		page: Number.isInteger(page) && page >= 1 ? page : 1,
	};
}

/** The categories to filter by: those of the products on sale (GET /api/categories). */
async function loadCategories(): Promise<string[]> {
	const categories = await call(api.GET("/categories"));
	return categories.map((category) => category.name);
}

export function CataloguePage() {
	const location = useLocation();
	const query = queryOf(location.query);
	const [search, setSearch] = useState(query.q);
	// Back and forward change the URL under the form: the box shows the search of the page shown.
	useEffect(() => setSearch(query.q), [query.q]);
	const [added, setAdded] = useState<string>();
	const [addError, setAddError] = useState<{ productId: string; error: ApiError }>();
	const categories = useLoad(loadCategories, []);
	const products = useLoad(
		() =>
			call(
				api.GET("/products", {
					params: {
						query: {
							page: query.page,
							pageSize: PAGE_SIZE,
							...(query.q ? { q: query.q } : {}),
							...(query.category ? { category: query.category } : {}),
							...(query.sort ? { sort: query.sort as NonNullable<ProductQuery["sort"]> } : {}),
						},
					},
				}),
			),
		[query.q, query.category, query.sort, query.page],
	);

	const go = (change: Partial<typeof query>) => {
		const next = { ...query, page: 1, ...change };
		location.route(withQuery("/", { q: next.q, category: next.category, sort: next.sort, page: next.page > 1 ? next.page : undefined }));
	};

	const add = async (product: Product) => {
		setAdded(undefined);
		setAddError(undefined);
		try {
			await addToCart(product);
			setAdded(`${product.name} is in your cart.`);
		} catch (err) {
			setAddError({ productId: product.id, error: asApiError(err) });
		}
	};

	const heading = query.q ? `Results for “${query.q}”` : query.category ? `Category: ${query.category}` : "Catalogue";
	return (
		<>
			<PageTitle title={heading}>{heading}</PageTitle>
			<form
				class="filters"
				role="search"
				aria-label="Find products"
				onSubmit={(event) => {
					event.preventDefault();
					go({ q: search.trim() });
				}}
			>
				<div class="field">
					<label for="q">Search</label>
					<input id="q" type="search" value={search} maxLength={100} onInput={(event) => setSearch(event.currentTarget.value)} />
				</div>
				<button type="submit">Search</button>
				<div class="field">
					<label for="category">Category</label>
					<select id="category" value={query.category} onChange={(event) => go({ category: event.currentTarget.value })}>
						<option value="">All categories</option>
						{(categories.data ?? [])
							.concat(query.category && !categories.data?.includes(query.category) ? [query.category] : [])
							.map((category) => (
								<option key={category} value={category}>
									{category}
								</option>
							))}
					</select>
				</div>
				<div class="field">
					<label for="sort">Sort by</label>
					<select id="sort" value={query.sort} onChange={(event) => go({ sort: event.currentTarget.value })}>
						{SORTS.map((sort) => (
							<option key={sort.value} value={sort.value}>
								{sort.label}
							</option>
						))}
					</select>
				</div>
			</form>
			{added ? (
				<Notice>
					{added} <a href="/cart">Go to the cart</a>
				</Notice>
			) : null}
			<Alert error={products.error} />
			{products.loading && !products.data ? <Loading what="products" /> : null}
			{products.data ? (
				<section aria-label="Products" aria-busy={products.loading}>
					<p class="count" role="status">
						{products.data.total === 0 ? "No products match." : `${products.data.total} product${products.data.total === 1 ? "" : "s"}`}
					</p>
					<ul class="products">
						{products.data.rows.map((product) => (
							<li key={product.id} class="product-card">
								<h2>
									<a href={`/products/${encodeURIComponent(product.id)}`}>{product.name}</a>
								</h2>
								<p class="price">{money(product.priceCents, product.currency)}</p>
								<p class={product.stock > 0 ? "stock" : "stock stock-out"}>
									{product.stock > 0 ? `${product.stock} in stock` : "Out of stock"}
								</p>
								{/* The product's name after the visible words: the button's name starts with what it shows (WCAG 2.5.3). */}
								<button type="button" disabled={product.stock === 0} onClick={() => void add(product)}>
									Add to cart<span class="visually-hidden">: {product.name}</span>
								</button>
								{addError?.productId === product.id ? <Alert error={addError.error} /> : null}
							</li>
						))}
					</ul>
					<Pager
						page={products.data.page}
						totalPages={products.data.totalPages}
						href={(page) => withQuery("/", { ...query, page: page > 1 ? page : undefined })}
					/>
				</section>
			) : null}
		</>
	);
}
