import type { ComponentChildren } from "preact";
import { NotFoundPage } from "../pages/not-found";
import { Link, matchPath, type Location } from "../router";
import { CustomersPage } from "./customers";
import { DeadLettersPage } from "./dead-letters";
import { OrderTimelinePage } from "./order-timeline";
import { AdminOrdersPage } from "./orders";
import { OverviewPage } from "./overview";
import { PaymentsPage } from "./payments";
import { ProductEditPage } from "./product-edit";
import { ProductsPage } from "./products";
import { ReturnsPage } from "./returns";
import { ShipmentsPage } from "./shipments";
import "./admin.css";

/*
 * The admin console (issue 17): its own navigation and pages under /admin, loaded lazily by
 * pages/admin-gate.tsx once the session says the customer is an admin. Every page reads the
 * API with the admin's token; the API, not this code, is what keeps customers out.
 */

const SECTIONS = [
	{ href: "/admin", label: "Overview" },
	{ href: "/admin/products", label: "Products" },
	{ href: "/admin/orders", label: "Orders" },
	{ href: "/admin/shipments", label: "Shipments" },
	{ href: "/admin/returns", label: "Returns" },
	{ href: "/admin/payments", label: "Payments" },
	{ href: "/admin/dead-letters", label: "Dead letters" },
	{ href: "/admin/customers", label: "Customers" },
];

function AdminPage(props: { location: Location }) {
	const { location } = props;
	const path = location.path.replace(/\/$/, "") || "/admin";
	if (path === "/admin") return <OverviewPage />;
	if (path === "/admin/products") return <ProductsPage location={location} />;
	if (path === "/admin/products/new") return <ProductEditPage location={location} />;
	const product = matchPath("/admin/products/:id", path);
	if (product) return <ProductEditPage id={product.id!} location={location} />;
	if (path === "/admin/orders") return <AdminOrdersPage location={location} />;
	const order = matchPath("/admin/orders/:id", path);
	if (order) return <OrderTimelinePage id={order.id!} />;
	if (path === "/admin/shipments") return <ShipmentsPage location={location} />;
	if (path === "/admin/returns") return <ReturnsPage />;
	if (path === "/admin/payments") return <PaymentsPage />;
	if (path === "/admin/dead-letters") return <DeadLettersPage />;
	if (path === "/admin/customers") return <CustomersPage location={location} />;
	return <NotFoundPage />;
}

function SectionLink(props: { href: string; path: string; children: ComponentChildren }) {
	// The overview is /admin exactly; a section is current on its own pages too (/admin/orders/42).
	const current = props.href === "/admin" ? props.path === "/admin" || props.path === "/admin/" : props.path.startsWith(props.href);
	return (
		<Link href={props.href} aria-current={current ? "page" : undefined}>
			{props.children}
		</Link>
	);
}

export function AdminConsole(props: { location: Location }) {
	return (
		<div class="admin">
			<nav class="admin-nav" aria-label="Admin">
				<ul>
					{SECTIONS.map((section) => (
						<li key={section.href}>
							<SectionLink href={section.href} path={props.location.path}>
								{section.label}
							</SectionLink>
						</li>
					))}
				</ul>
			</nav>
			<AdminPage location={props.location} />
		</div>
	);
}
