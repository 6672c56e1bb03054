import type { ComponentChildren } from "preact";
import { Route, Router, useLocation } from "preact-iso/router";
import { NotFoundPage } from "../pages/not-found";
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

function SectionLink(props: { href: string; children: ComponentChildren }) {
	// preact-iso's path has no trailing slash (/admin/ is /admin).
	const { path } = useLocation();
	// The overview is /admin exactly; a section is current on its own pages too (/admin/orders/42).
	const current = props.href === "/admin" ? path === "/admin" : path.startsWith(props.href);
	return (
		<a href={props.href} aria-current={current ? "page" : undefined}>
			{props.children}
		</a>
	);
}

/** The console under /admin: a Router nested in the app's, matching what follows /admin (app.tsx routes /admin and /admin/* here). */
export function AdminConsole() {
	return (
		<div class="admin">
			<nav class="admin-nav" aria-label="Admin">
				<ul>
					{SECTIONS.map((section) => (
						<li key={section.href}>
							<SectionLink href={section.href}>{section.label}</SectionLink>
						</li>
					))}
				</ul>
			</nav>
			<Router>
				<Route path="/" component={OverviewPage} />
				<Route path="/products" component={ProductsPage} />
				<Route path="/products/new" component={ProductEditPage} />
				<Route path="/products/:id" component={ProductEditPage} />
				<Route path="/orders" component={AdminOrdersPage} />
				<Route path="/orders/:id" component={OrderTimelinePage} />
				<Route path="/shipments" component={ShipmentsPage} />
				<Route path="/returns" component={ReturnsPage} />
				<Route path="/payments" component={PaymentsPage} />
				<Route path="/dead-letters" component={DeadLettersPage} />
				<Route path="/customers" component={CustomersPage} />
				<Route default component={NotFoundPage} />
			</Router>
		</div>
	);
}
