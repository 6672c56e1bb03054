import type { ComponentChildren } from "preact";
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
import { Link, matchPath, navigate, useLocation, withQuery, type Location } from "./router";
import { endSession, sessionStore } from "./session";
import { useStore } from "./store";

/*
 * The storefront's frame (a skip link, the header's navigation, the page) and its pages by path.
 * A page that needs a customer sends a guest to log in, then back (?next=).
 */

function RequireLogin(props: { location: Location; children: ComponentChildren }) {
	const session = useStore(sessionStore);
	useEffect(() => {
		if (!session) navigate(withQuery("/login", { next: props.location.href }), { replace: true });
	}, [session, props.location.href]);
	return session ? <>{props.children}</> : null;
}

function Page(props: { location: Location }) {
	const { location } = props;
	const path = location.path;
	if (path === "/") return <CataloguePage location={location} />;
	const product = matchPath("/products/:id", path);
	if (product) return <ProductPage id={product.id!} />;
	if (matchPath("/cart", path)) return <CartPage />;
	if (matchPath("/login", path)) return <LoginPage location={location} />;
	if (matchPath("/register", path)) return <RegisterPage location={location} />;
	if (matchPath("/checkout", path)) {
		return (
			<RequireLogin location={location}>
				<CheckoutPage />
			</RequireLogin>
		);
	}
	if (matchPath("/orders", path)) {
		return (
			<RequireLogin location={location}>
				<OrdersPage location={location} />
			</RequireLogin>
		);
	}
	if (matchPath("/notifications", path)) {
		return (
			<RequireLogin location={location}>
				<NotificationsPage location={location} />
			</RequireLogin>
		);
	}
	if (path === "/admin" || path.startsWith("/admin/")) {
		return (
			<RequireLogin location={location}>
				<AdminGate location={location} />
			</RequireLogin>
		);
	}
	const order = matchPath("/orders/:id", path);
	if (order) {
		return (
			<RequireLogin location={location}>
				<OrderPage id={order.id!} location={location} />
			</RequireLogin>
		);
	}
	return <NotFoundPage />;
}

function NavLink(props: { href: string; current: string; children: ComponentChildren }) {
	const active = props.href === "/" ? props.current === "/" : props.current.startsWith(props.href);
	return (
		<Link href={props.href} aria-current={active ? "page" : undefined}>
			{props.children}
		</Link>
	);
}

export function App() {
	const location = useLocation();
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
				<Link href="/" class="brand">
					Shop
				</Link>
				<nav aria-label="Main">
					<ul>
						<li>
							<NavLink href="/" current={location.path}>
								Catalogue
							</NavLink>
						</li>
						<li>
							<NavLink href="/cart" current={location.path}>
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
									<NavLink href="/orders" current={location.path}>
										Orders
									</NavLink>
								</li>
								<li>
									<NavLink href="/notifications" current={location.path}>
										Notifications
									</NavLink>
								</li>
								{/* Only a hint: the API refuses every admin route to a customer whatever the page shows. */}
								{session.customer.role === "admin" ? (
									<li>
										<NavLink href="/admin" current={location.path}>
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
											navigate("/");
										}}
									>
										Log out<span class="visually-hidden"> {session.customer.name}</span>
									</button>
								</li>
							</>
						) : (
							<>
								<li>
									<NavLink href="/login" current={location.path}>
										Log in
									</NavLink>
								</li>
								<li>
									<NavLink href="/register" current={location.path}>
										Register
									</NavLink>
								</li>
							</>
						)}
					</ul>
				</nav>
			</header>
			<main id="main">
				<Page location={location} />
			</main>
			<footer class="site">
				<a href="/api/docs">The shop's API</a>
			</footer>
		</>
	);
}
