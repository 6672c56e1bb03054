import type { PublicRoute } from "./routes";

/*
 * The routes only an admin may call (their actions declare `auth: "admin"`): managing customers
 * and the catalogue, receiving returns, and the back office under /admin. The storefront's
 * routes are in storefront-routes.ts; routes.ts puts both into the one table.
 */

/** The services that consume domain events, each with an inbox whose dead letters an admin can read and redrive. */
export const EVENT_CONSUMERS = ["catalogue", "orders", "payments", "shipping", "notifications"] as const;

/** Every customer account. */
export const CUSTOMER_ADMIN_ROUTES: readonly PublicRoute[] = [
	{
		method: "GET",
		path: "/customers",
		action: "customers.list",
		group: "shop",
		tag: "customers",
		summary: "List customers (admin)",
		success: 200,
		result: "CustomerPage",
	},
];

/** Creating and changing products. */
export const CATALOGUE_ADMIN_ROUTES: readonly PublicRoute[] = [
	{
		method: "POST",
		path: "/products",
		action: "catalogue.create",
		group: "shop",
		tag: "catalogue",
		summary: "Create a product (admin)",
		success: 201,
		result: "Product",
		refusals: [{ status: 409, types: ["SKU_TAKEN"] }],
	},
	{
		method: "PATCH",
		path: "/products/:id",
		action: "catalogue.update",
		group: "shop",
		tag: "catalogue",
		summary: "Change a product's fields or stock (admin)",
		success: 200,
		result: "Product",
		refusals: [{ status: 409, types: ["SKU_TAKEN", "STOCK_CHANGED_CONCURRENTLY", "STOCK_NOT_AS_EXPECTED"] }],
	},
	// Not DELETE: a deactivated product stays readable for admins (and orders keep naming it).
	{
		method: "POST",
		path: "/products/:id/deactivate",
		action: "catalogue.deactivate",
		group: "shop",
		tag: "catalogue",
		summary: "Deactivate a product (admin): hidden from shoppers, still readable for admins",
		success: 200,
		result: "Product",
	},
];

/** Receiving what customers send back. */
export const RETURN_ADMIN_ROUTES: readonly PublicRoute[] = [
	{
		method: "POST",
		path: "/admin/orders/:id/returns/:returnId/receive",
		action: "orders.receiveReturn",
		group: "shop",
		tag: "admin",
		summary: "Mark a return's parcel received: its stock goes back on sale and its amount is refunded (admin)",
		success: 200,
		result: "Order",
		refusals: [{ status: 409, types: ["RETURN_ALREADY_RECEIVED", "RETURN_CHANGED_CONCURRENTLY"] }],
	},
];

/** Watching the shop's work: shipments, the processor's books, orders, and events given up on. */
export const BACK_OFFICE_ROUTES: readonly PublicRoute[] = [
	{
		method: "GET",
		path: "/admin/shipments",
		action: "shipping.list",
		group: "shop",
		tag: "admin",
		summary: "Every shipment, by status, newest first (admin)",
		success: 200,
		result: "ShipmentPage",
	},
	{
		method: "GET",
		path: "/admin/payments/reconciliation",
		action: "payments.reconcile",
		group: "shop",
		tag: "admin",
		summary: "The card processor's books against the shop's payments: every discrepancy (admin)",
		success: 200,
		result: "ReconciliationReport",
	},
	{
		method: "GET",
		path: "/admin/orders",
		action: "orders.adminList",
		group: "shop",
		tag: "admin",
		summary: "Every customer's orders, by status, customer and age, e.g. PENDING for longer than a minute (admin)",
		success: 200,
		result: "OrderPage",
	},
	{
		method: "GET",
		path: "/admin/orders/:id/timeline",
		action: "orders.timeline",
		group: "shop",
		tag: "admin",
		summary: "Everything that happened to an order across the services, oldest first (admin)",
		success: 200,
		result: "OrderTimeline",
	},
	{
		method: "GET",
		path: "/admin/orders/stats",
		action: "orders.stats",
		group: "shop",
		tag: "admin",
		summary: "Orders placed in the last sinceSeconds by status, and how long their sagas took to settle (admin)",
		success: 200,
		result: "OrderStats",
	},
	...EVENT_CONSUMERS.flatMap((service): PublicRoute[] => [
		{
			method: "GET",
			path: `/admin/dead-letters/${service}`,
			action: `${service}.deadLetters`,
			group: "shop",
			tag: "admin",
			summary: `The events ${service} gave up on, with their last error (admin)`,
			success: 200,
			result: "DeadLetterList",
		},
		{
			method: "POST",
			path: `/admin/dead-letters/${service}/redrive`,
			action: `${service}.redriveDeadLetters`,
			group: "shop",
			tag: "admin",
			summary: `Hand ${service}'s dead letters (all, or the ids given) to their handler once more (admin)`,
			success: 200,
			result: "RedriveResultList",
		},
	]),
];
