import { useLocation } from "preact-iso/router";
import { useEffect, useState } from "preact/hooks";
import { api, call } from "../api/client";
import { dateTime } from "../components/format";
import { Pager } from "../components/pager";
import { Alert, Loading, PageTitle } from "../components/ui";
import { useLoad } from "../components/use-load";
import { withQuery, type Query } from "../router";
import { TableScroll } from "./table";
import { inWords } from "./words";

/** The shop's accounts (GET /api/customers), searchable by name or email, each linked to its orders. */
export function CustomersPage() {
	const location = useLocation();
	const query: Query = location.query;
	const q = query.q ?? "";
	const requested = Number(query.page ?? "1");
	const page = Number.isInteger(requested) && requested >= 1 ? requested : 1;
	const [search, setSearch] = useState(q);
	useEffect(() => setSearch(q), [q]);
	const customers = useLoad(() => inWords(call(api.GET("/customers", { params: { query: { page, pageSize: 25, ...(q ? { q } : {}) } } }))), [q, page]);

	return (
		<>
			<PageTitle title="Customers · Admin">Customers</PageTitle>
			<form
				class="filters"
				role="search"
				aria-label="Find customers"
				onSubmit={(event) => {
					event.preventDefault();
					location.route(withQuery("/admin/customers", { q: search.trim() }));
				}}
			>
				<div class="field">
					<label for="customer-q">Name or email</label>
					<input id="customer-q" type="search" value={search} maxLength={100} onInput={(event) => setSearch(event.currentTarget.value)} />
				</div>
				<button type="submit">Search</button>
			</form>
			<Alert error={customers.error} />
			{customers.loading && !customers.data ? <Loading what="customers" /> : null}
			{customers.data ? (
				<section aria-label="Customers found" aria-busy={customers.loading}>
					<p class="count" role="status">
						{customers.data.total === 0 ? "No customers match." : `${customers.data.total} account${customers.data.total === 1 ? "" : "s"}`}
					</p>
					{customers.data.rows.length > 0 ? (
						<TableScroll label="Customers table">
							<table class="admin-table">
								<caption>Customers{q ? ` matching “${q}”` : ""}</caption>
								<thead>
									<tr>
										<th scope="col">Name</th>
										<th scope="col">Email</th>
										<th scope="col">Role</th>
										<th scope="col">Joined</th>
										<th scope="col">Orders</th>
									</tr>
								</thead>
								<tbody>
									{customers.data.rows.map((customer) => (
										<tr key={customer.id}>
											<th scope="row">{customer.name}</th>
											<td>{customer.email}</td>
											<td>{customer.role === "admin" ? "Admin" : "Customer"}</td>
											<td>{dateTime(customer.createdAt)}</td>
											<td>
												<a href={withQuery("/admin/orders", { customerId: customer.id })}>
													Orders<span class="visually-hidden"> of {customer.name}</span>
												</a>
											</td>
										</tr>
									))}
								</tbody>
							</table>
						</TableScroll>
					) : null}
					<Pager
						page={customers.data.page}
						totalPages={customers.data.totalPages}
						href={(next) => withQuery("/admin/customers", { q, page: next > 1 ? next : undefined })}
					/>
				</section>
			) : null}
		</>
	);
}
