import type { ComponentChildren, ComponentType } from "preact";
import { Route, Router, useLocation } from "preact-iso/router";
import { useEffect } from "preact/hooks";
import { cartCount, loadCart } from "./cart/cart";
import { AdminGate } from "./pages/admin-gate";
import { CartPage } from "./pages/cart";
import { CataloguePage } from "./pages/catalogue";
import { CheckoutPage } from "./pages/checkout";
import { LoginPage, RegisterPage } from "./pages/auth";
import { NotFoundPage } from "./pages/not-found";
import { NotificationsPage } from "./pages/notifications";
import { OrderPage } from "./pages/order";
import { OrdersPage } from "./pages/orders";
import { ProductPage } from "./pages/product";
import { AppLocation, decodedPath, withQuery } from "./router";
import { endSession, sessionStore } from "./session";
import { useStore } from "./store";

/*
 * The storefront's frame (a skip link, the header's navigation, the page) and its pages by path.
 * A page that needs a customer sends a guest to log in, then back (?next=).
 */

function RequireLogin(props: { children: ComponentChildren }) {
	const session = useStore(sessionStore);
	const { url, route } = useLocation();
	useEffect(() => {
		if (!session) route(withQuery("/login", { next: url }), true);
	}, [session, url]);
	return session ? <>{props.children}</> : null;
}

/** `Page` for customers only: made once here, so that a route keeps the same component from one render to the next. */
function customersOnly<Props extends object>(Page: ComponentType<Props>): ComponentType<Props> {
	return function CustomersOnly(props: Props) {
		return (
			<RequireLogin>
				<Page {...props} />
			</RequireLogin>
		);
	};
}

const Checkout = customersOnly(CheckoutPage);
const Orders = customersOnly(OrdersPage);
const Order = customersOnly(OrderPage);
const Notifications = customersOnly(NotificationsPage);
const Admin = customersOnly(AdminGate);

function Page() {
	const { path } = useLocation();
	// Matching a route decodes its parameters, which throws on a malformed %-escape: no page has such a
	// path. The gateway answers one typed in the address bar itself; one can still come in-app, as a ?next=.
	if (decodedPath(path) === undefined) return <NotFoundPage />;
	return (
		<Router>
			<Route path="/" component={CataloguePage} />
			<Route path="/products/:id" component={ProductPage} />
			<Route path="/cart" component={CartPage} />
			<Route path="/login" component={LoginPage} />
			<Route path="/register" component={RegisterPage} />
			<Route path="/checkout" component={Checkout} />
			<Route path="/orders" component={Orders} />
			<Route path="/orders/:id" component={Order} />
			<Route path="/notifications" component={Notifications} />
			{/* The console's own pages are the admin console's Router's (admin/console.tsx). */}
			<Route path="/admin" component={Admin} />
			<Route path="/admin/*" component={Admin} />
			<Route default component={NotFoundPage} />
		</Router>
	);
}

function NavLink(props: { href: string; current: string; children: ComponentChildren }) {
	const active = props.href === "/" ? props.current === "/" : props.current.startsWith(props.href);
	return (
		<a href={props.href} aria-current={active ? "page" : undefined}>
			{props.children}
		</a>
	);
}

export function App() {
	return (
		<AppLocation>
			<Storefront />
		</AppLocation>
	);
}

function Storefront() {
	const { path, route } = useLocation();
	const session = useStore(sessionStore);
	const items = useStore(cartCount);
	// The header's count, for whoever is shopping now (a guest's browser cart, or the account's).
	useEffect(() => {
		void loadCart().catch(() => undefined);
	}, [session?.customer.id]);

	return (
		<>
			<a class="skip" href="#main">
				Skip to the page
			</a>
			<header class="site">
				<a href="/" class="brand">
					Shop
				</a>
				<nav aria-label="Main">
					<ul>
						<li>
							<NavLink href="/" current={path}>
								Catalogue
							</NavLink>
						</li>
						<li>
							<NavLink href="/cart" current={path}>
								Cart
								<span class="badge" aria-hidden="true">
									{items > 0 ? ` (${items})` : ""}
								</span>
								<span class="visually-hidden">{items === 1 ? ", 1 item" : `, ${items} items`}</span>
							</NavLink>
						</li>
						{session ? (
							<>
								<li>
									<NavLink href="/orders" current={path}>
										Orders
									</NavLink>
								</li>
								<li>
									<NavLink href="/notifications" current={path}>
										Notifications
									</NavLink>
								</li>
								{/* Only a hint: the API refuses every admin route to a customer whatever the page shows. */}
								{session.customer.role === "admin" ? (
									<li>
										<NavLink href="/admin" current={path}>
											Admin
										</NavLink>
									</li>
								) : null}
								<li>
									<button
										type="button"
										class="link"
										onClick={() => {
											endSession();
											route("/");
										}}
									>
										Log out<span class="visually-hidden"> {session.customer.name}</span>
									</button>
								</li>
							</>
						) : (
							<>
								<li>
									<NavLink href="/login" current={path}>
										Log in
									</NavLink>
								</li>
								<li>
									<NavLink href="/register" current={path}>
										Register
									</NavLink>
								</li>
							</>
						)}
					</ul>
				</nav>
			</header>
			<main id="main">
				<Page />
			</main>
			<footer class="site">
				<a href="/api/docs">The shop's API</a>
			</footer>
		</>
	);
}
