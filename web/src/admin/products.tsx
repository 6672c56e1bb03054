import { useLocation } from "preact-iso/router";
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import { money } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";
import { TableScroll } from "./table";
import { inWords } from "./words";

/*
 * Every product, the inactive ones too (GET /api/products answers an admin's token with all of
 * them), searchable by the URL's ?q= like the storefront's catalogue, so the back button and a
 * shared link work. Each row leads to the product's page, where it is edited.
 */

const PAGE_SIZE = 25;

export function ProductsPage() {
	const location = useLocation();
	const query: Query = location.query;
	const q = query.q ?? "";
	const requested = Number(query.page ?? "1");
	const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
	const [search, setSearch] = useState(q);
	useEffect(() => setSearch(q), [q]);
	const products = useLoad(
		() => inWords(call(api.GET("/products", { params: { query: { page, pageSize: PAGE_SIZE, sort: "name", ...(q ? { q } : {}) } } }))),
		[q, page],
	);

	return (
		<>
			<PageTitle title="Products · Admin">Products</PageTitle>
			<p>
				<a href="/admin/products/new" class="button">
					New product
				</a>
			</p>
			<form
				class="filters"
				role="search"
				aria-label="Find products"
				onSubmit={(event) => {
					event.preventDefault();
					location.route(withQuery("/admin/products", { q: search.trim() }));
				}}
			>
				<div class="field">
					<label for="admin-q">Name, SKU or words</label>
					<input id="admin-q" type="search" value={search} maxLength={100} onInput={(event) => setSearch(event.currentTarget.value)} />
				</div>
				<button type="submit">Search</button>
			</form>
			<Alert error={products.error} />
			{products.loading && !products.data ? <Loading what="products" /> : null}
			{products.data ? (
				<section aria-label="Product list" aria-busy={products.loading}>
					<p class="count" role="status">
						{products.data.total === 0
							? "No products match."
							: `${products.data.total} product${products.data.total === 1 ? "" : "s"}, inactive ones included`}
					</p>
					{products.data.rows.length > 0 ? (
						<TableScroll label="Products">
							<table class="admin-table">
								<caption>Products{q ? ` matching “${q}”` : ""}</caption>
								<thead>
									<tr>
										<th scope="col">Name</th>
										<th scope="col">SKU</th>
										<th scope="col">Category</th>
										<th scope="col">Price</th>
										<th scope="col">Stock</th>
										<th scope="col">Status</th>
									</tr>
								</thead>
								<tbody>
									{products.data.rows.map((product) => (
										<tr key={product.id}>
											<th scope="row">
												<a href={`/admin/products/${encodeURIComponent(product.id)}`}>{product.name}</a>
											</th>
											<td>{product.sku}</td>
											<td>{product.category}</td>
											<td>{money(product.priceCents, product.currency)}</td>
											<td>{product.stock}</td>
											<td>{product.active ? "Active" : "Inactive"}</td>
										</tr>
									))}
								</tbody>
							</table>
						</TableScroll>
					) : null}
					<Pager
						page={products.data.page}
						totalPages={products.data.totalPages}
						href={(next) => withQuery("/admin/products", { q, page: next > 1 ? next : undefined })}
					/>
				</section>
			) : null}
		</>
	);
}
