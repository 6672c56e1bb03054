import { EVENT_CONSUMERS } from "../routes";
import { CANCEL_REASONS, ORDER_STATUSES } from "../../../contracts";
import { portablePattern, type JsonSchema } from "./json-schema";
import { cents, closed, currency, dateTime, page, ref } from "./schema-parts";
import { SHIPPING_REQUEST_EXAMPLES, SHIPPING_SCHEMAS } from "./shipping-schemas";
import { PAYMENT_REQUEST_EXAMPLES, PAYMENT_SCHEMAS } from "./payment-schemas";
import {
	ID_EXAMPLE,
	AT_EXAMPLE,
	ADDRESS_EXAMPLE,
	CUSTOMER_EXAMPLE,
	PRODUCT_EXAMPLE,
	ORDER_EXAMPLE,
	NOTIFICATION_EXAMPLE,
	CART_LINE_EXAMPLE,
	CART_EXAMPLE,
	TIMELINE_EXAMPLE,
	DEAD_LETTER_EXAMPLE,
	REDRIVE_RESULT_EXAMPLE,
} from "./examples";

/*
 * The hand-written part of the OpenAPI document: what the handlers return (toCustomer,
 * toProduct, toOrder, toPayment, toNotification, the login result, api.health, orders.timeline) and the gateway's
 * one error shape, as components.schemas, plus an example request body per action. Every
 * result is a closed shape (additionalProperties: false), so a field added to a handler but not
 * here shows up as a failing response check rather than as undocumented data. The cart
 * (services/carts/cart.ts viewCart) is described here too.
 */

const TIMELINE_SERVICES = ["orders", "catalogue", "payments", "shipping", "notifications"];

/** An address as stored: the validated params, trimmed, with the country upper-cased. */
const address = closed(
	{
		label: { type: "string", maxLength: 40 },
		name: { type: "string", minLength: 1, maxLength: 100 },
		line1: { type: "string", minLength: 1, maxLength: 200 },
		line2: { type: "string", maxLength: 200 },
		city: { type: "string", minLength: 1, maxLength: 100 },
		postalCode: { type: "string", minLength: 1, maxLength: 20 },
		country: { type: "string", pattern: portablePattern("^[A-Z]{2}$") },
	},
	["label", "line2"],
	ADDRESS_EXAMPLE,
);

const customer = closed(
	{
		id: { type: "string" },
		email: { type: "string", description: "Stored trimmed and lower-cased." },
		name: { type: "string", minLength: 1 },
		role: { enum: ["customer", "admin"] },
		addresses: { type: "array", items: ref("Address"), maxItems: 10 },
		createdAt: dateTime,
		updatedAt: dateTime,
	},
	[],
	CUSTOMER_EXAMPLE,
);

const product = closed(
	{
		id: { type: "string" },
		sku: { type: "string", pattern: portablePattern("^[A-Z0-9._-]{1,64}$"), description: "Stored trimmed and upper-cased." },
		name: { type: "string", minLength: 1, maxLength: 200 },
		description: { type: "string", maxLength: 5000 },
		category: { type: "string", pattern: portablePattern("^[a-z0-9 _-]{1,64}$"), description: "Stored trimmed and lower-cased." },
		priceCents: { type: "integer", minimum: 0, maximum: 100_000_000 },
		currency,
		weightGrams: { type: "integer", minimum: 1, maximum: 1_000_000, description: "One unit packed, in grams; 500 when it was never set." },
		stock: { type: "integer", minimum: 0, description: "Available to order now; held stock is not counted." },
		active: { type: "boolean" },
		createdAt: dateTime,
		updatedAt: dateTime,
	},
	[],
	PRODUCT_EXAMPLE,
);

const orderLine = closed({
	productId: { type: "string" },
	sku: { type: "string" },
	name: { type: "string" },
	unitPriceCents: cents,
	qty: { type: "integer", minimum: 1 },
	lineTotalCents: cents,
});

const order = closed(
	{
		id: { type: "string" },
		customerId: { type: "string" },
		items: { type: "array", items: orderLine, minItems: 1 },
		goodsCents: { ...cents, description: "The lines' total." },
		shippingCents: { ...cents, description: "What shipping costs; 0 for orders placed before the shop shipped." },
		totalCents: { ...cents, description: "Goods and shipping: what is charged." },
		currency,
		shippingAddress: ref("Address"),
		shipping: ref("OrderShipping"),
		tracking: ref("Tracking"),
		paymentMethod: { type: "string" },
		status: {
			enum: [...ORDER_STATUSES],
			description:
				"The saga: PENDING, AWAITING_PAYMENT, AWAITING_SHIPMENT, then CONFIRMED (the carrier has the label) or CANCELLED; then SHIPPED and DELIVERED.",
		},
		cancelReason: { enum: [...CANCEL_REASONS], description: "Set once the order is CANCELLED." },
		refundedCents: cents,
		history: {
			type: "array",
			minItems: 1,
			items: closed({
				status: { enum: [...ORDER_STATUSES] },
				at: dateTime,
				reason: { type: "string", description: "The saga step or request that caused it." },
			}),
		},
		returns: { type: "array", items: ref("OrderReturn"), description: "The returns asked for, oldest first." },
		returnableUntil: { ...dateTime, description: "For a DELIVERED order: until when a return may be asked for." },
		paymentActionUrl: {
			type: "string",
			format: "uri",
			description: "While AWAITING_PAYMENT: where the customer confirms the payment with their bank (3-D Secure).",
		},
		createdAt: dateTime,
		updatedAt: dateTime,
	},
	["cancelReason", "shipping", "tracking", "returns", "returnableUntil", "paymentActionUrl"],
	ORDER_EXAMPLE,
);

const cartLine = closed(
	{
		productId: { type: "string" },
		sku: { type: "string", description: "The product's current sku; the one last seen when the product is gone." },
		name: { type: "string", description: "The product's current name; the one last seen when the product is gone." },
		qty: { type: "integer", minimum: 1, maximum: 100 },
		unitPriceCents: { ...cents, description: "The catalogue's current price; the one last seen when the product is gone." },
		addedUnitPriceCents: { ...cents, description: "The price when the line was added or its quantity last set." },
		currency,
		lineTotalCents: cents,
		active: { type: "boolean", description: "False for an inactive product and for one that is gone." },
		stock: { type: "integer", minimum: 0, description: "Available to order now; 0 when the product is gone." },
		issues: {
			type: "array",
			uniqueItems: true,
			items: { enum: ["PRICE_CHANGED", "STOCK_SHORT", "UNAVAILABLE", "CURRENCY_MISMATCH"] },
			description:
				"PRICE_CHANGED: not the price seen when the line was set; STOCK_SHORT: fewer in stock than qty; UNAVAILABLE: inactive or gone; CURRENCY_MISMATCH: priced in another currency than the cart.",
		},
	},
	[],
	CART_LINE_EXAMPLE,
);

const cart = closed(
	{
		customerId: { type: "string" },
		lines: { type: "array", items: ref("CartLine"), maxItems: 50, description: "In the order they were first added." },
		totalCents: { ...cents, description: "The lines that can be ordered (neither UNAVAILABLE nor CURRENCY_MISMATCH), at current prices." },
		currency: { ...currency, description: "The currency of the cart's first orderable line; absent while there is none." },
		itemCount: { type: "integer", minimum: 0 },
		updatedAt: { ...dateTime, description: "Absent until the cart is first changed." },
	},
	["currency", "updatedAt"],
	CART_EXAMPLE,
);

const cartMergeResult = closed(
	{
		cart: ref("Cart"),
		lines: {
			type: "array",
			maxItems: 50,
			description: "One entry per product of the guest's cart, in the order sent.",
			items: closed({
				productId: { type: "string" },
				outcome: {
					enum: ["MERGED", "QTY_CAPPED", "UNAVAILABLE", "CART_FULL", "MIXED_CURRENCIES"],
					description:
						"MERGED: added or summed; QTY_CAPPED: summed but capped at 100; not taken: UNAVAILABLE (inactive or unknown), CART_FULL (50 lines already), MIXED_CURRENCIES.",
				},
				qty: { type: "integer", minimum: 0, maximum: 100, description: "The cart's quantity of the product after the merge; 0 when it has none." },
			}),
		},
	},
	[],
	{ cart: CART_EXAMPLE, lines: [{ productId: ID_EXAMPLE, outcome: "MERGED", qty: 2 }] },
);

/**
 * One event of GET /orders/{id}/events (services/api/order-streams.ts): as Server-Sent Events
 * are read, an object of the event's fields, its `data` the status change as JSON.
 */
const orderStatusEvent = closed(
	{
		event: { const: "status" },
		id: { type: "string", pattern: portablePattern("^[0-9]+$"), description: "The change's index in the order's history; Last-Event-ID resumes after it." },
		data: {
			type: "string",
			contentMediaType: "application/json",
			contentSchema: closed({ orderId: { type: "string" }, status: { enum: [...ORDER_STATUSES] }, at: dateTime, reason: { type: "string" } }),
		},
		retry: { type: "integer", minimum: 0 },
	},
	["retry"],
	{ event: "status", id: "2", data: JSON.stringify({ orderId: ORDER_EXAMPLE.id, status: "CONFIRMED", at: AT_EXAMPLE, reason: "PAYMENT_SETTLED" }) },
);

const notification = closed(
	{
		id: { type: "string" },
		customerId: { type: "string" },
		orderId: { type: "string" },
		kind: { enum: ["order.confirmed", "order.cancelled", "payment.refunded", "shipment.dispatched", "shipment.delivered"] },
		to: { type: "string" },
		subject: { type: "string" },
		status: { enum: ["SENDING", "SENT"] },
		createdAt: dateTime,
		sentAt: dateTime,
	},
	["sentAt"],
	NOTIFICATION_EXAMPLE,
);

/** orders.timeline (contracts/timeline.ts): every service's part of an order's story, and the parts that could not be read. */
const orderTimeline = closed(
	{
		orderId: { type: "string" },
		customerId: { type: "string" },
		status: { enum: [...ORDER_STATUSES] },
		entries: {
			type: "array",
			minItems: 1,
			description: "Oldest first; the order's own history is always there.",
			items: closed(
				{
					at: dateTime,
					service: { enum: TIMELINE_SERVICES },
					status: {
						type: "string",
						description: "The state reached: the order's, the reservation's, the payment's or the shipment's status, or the email's.",
					},
					reason: { type: "string", description: "Why, as the service recorded it." },
					summary: { type: "string", description: "The same for people." },
					details: { type: "object", additionalProperties: { type: ["string", "number"] }, description: "Facts of the step: amounts, references." },
				},
				["details"],
			),
		},
		missing: {
			type: "array",
			description: "The parts that could not be read now (their service unavailable or failing); empty when the story is whole.",
			items: closed({ service: { enum: TIMELINE_SERVICES }, error: { type: "string", description: "The error's type, e.g. SERVICE_NOT_FOUND." } }),
		},
	},
	[],
	TIMELINE_EXAMPLE,
);

/** `<service>.deadLetters` (contracts DeadLetter): an event a service's handler gave up on. */
const deadLetter = closed(
	{
		id: { type: "string", description: "The event's id." },
		type: { type: "string", description: "The event's type, e.g. order.confirmed." },
		attempts: { type: "integer", minimum: 0 },
		lastError: { type: "string" },
		receivedAt: dateTime,
		correlationId: { type: "string", description: "The order's id for every event of the order saga." },
	},
	["lastError"],
	DEAD_LETTER_EXAMPLE,
);

/** `<service>.redriveDeadLetters`: each dead letter handed to its handler once more, and how that went. */
const redriveResult = closed(
	{
		id: { type: "string" },
		status: { enum: ["PROCESSING", "RETRY", "DONE", "DEAD"], description: "DONE when handled; DEAD or RETRY when it failed again." },
		lastError: { type: "string" },
	},
	["lastError"],
	REDRIVE_RESULT_EXAMPLE,
);

const count: JsonSchema = { type: "integer", minimum: 0 };
const nullableMs: JsonSchema = { type: ["integer", "null"], minimum: 0 };

/** orders.stats (services/orders/admin-orders.ts orderStats). */
const orderStats = closed(
	{
		sinceSeconds: { type: "integer", minimum: 1 },
		since: dateTime,
		total: count,
		byStatus: closed(Object.fromEntries(ORDER_STATUSES.map((status) => [status, count]))),
		sagaMs: closed({ count, p50: nullableMs, p95: nullableMs, max: nullableMs }, []),
		truncated: { type: "boolean", description: "More orders settled in the window than the durations were read from (the most recent 1000)." },
	},
	[],
	{
		sinceSeconds: 3600,
		since: AT_EXAMPLE,
		total: 12,
		byStatus: { PENDING: 1, AWAITING_PAYMENT: 0, AWAITING_SHIPMENT: 0, CONFIRMED: 3, SHIPPED: 2, DELIVERED: 4, CANCELLED: 2 },
		sagaMs: { count: 11, p50: 180, p95: 950, max: 1200 },
		truncated: false,
	},
);

const loginResult = closed({ token: { type: "string", minLength: 1 }, tokenType: { const: "Bearer" }, expiresAt: dateTime, customer: ref("Customer") }, [], {
	token: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiNWUwIn0.c2lnbmF0dXJl",
	tokenType: "Bearer",
	expiresAt: AT_EXAMPLE,
	customer: CUSTOMER_EXAMPLE,
});

/** 200 when every service the shop needs is available, 503 (same shape) listing the missing ones. */
const health = closed(
	{
		status: { enum: ["ok", "degraded"] },
		nodeID: { type: "string" },
		uptimeSeconds: { type: "integer", minimum: 0 },
		services: { type: "array", items: { type: "string" } },
		missing: { type: "array", items: { type: "string" }, minItems: 1 },
	},
	["missing"],
	{
		status: "ok",
		nodeID: "shop-node-1-4242",
		uptimeSeconds: 3600,
		services: ["api", "carts", "catalogue", "customers", "notifications", "orders", "payments", "shipping"],
	},
);

/** services/api/error-response.ts: one shape for every failure. */
const error = closed(
	{
		error: closed(
			{
				type: {
					type: "string",
					pattern: portablePattern("^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$"),
					description: "What went wrong, for programs to branch on.",
				},
				message: { type: "string", description: "For people; not meant to be parsed." },
				code: { type: "integer", minimum: 400, maximum: 599, description: "The HTTP status." },
				data: { description: "Details for the client, depending on the type." },
			},
			["data"],
		),
	},
	[],
	{ error: { type: "PRODUCT_NOT_FOUND", message: "Product 3f1c2b9e-8a4d-4c1e-9f7a-2b6d5e8c1a90 not found", code: 404 } },
);

/** A 422 VALIDATION_ERROR: the error shape, with the failed checks as its data. */
const validationError: JsonSchema = {
	allOf: [ref("Error")],
	type: "object",
	properties: {
		error: {
			type: "object",
			properties: {
				type: { const: "VALIDATION_ERROR" },
				code: { const: 422 },
				data: {
					type: "array",
					minItems: 1,
					items: closed({
						field: { type: "string", description: "The path of the value, e.g. items[0].qty." },
						type: { type: "string", description: "The validator's rule that failed, e.g. stringMin." },
						message: { type: "string" },
					}),
				},
			},
			required: ["data"],
		},
	},
	example: {
		error: {
			type: "VALIDATION_ERROR",
			message: "Parameters validation error!",
			code: 422,
			data: [{ field: "priceCents", type: "numberMin", message: "The 'priceCents' field must be greater than or equal to 0." }],
		},
	},
};

export const COMPONENT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
	Address: address,
	Customer: customer,
	CustomerPage: page("Customer", CUSTOMER_EXAMPLE),
	LoginResult: loginResult,
	Health: health,
	Product: product,
	ProductPage: page("Product", PRODUCT_EXAMPLE),
	CategoryList: {
		type: "array",
		items: closed({ name: { type: "string", minLength: 1 }, products: { type: "integer", minimum: 1 } }),
		example: [
			{ name: "books", products: 12 },
			{ name: "kitchen", products: 4 },
		],
	},
	CartLine: cartLine,
	Cart: cart,
	CartMergeResult: cartMergeResult,
	Order: order,
	OrderPage: page("Order", ORDER_EXAMPLE),
	OrderTimeline: orderTimeline,
	OrderStatusEvent: orderStatusEvent,
	OrderStats: orderStats,
	DeadLetter: deadLetter,
	DeadLetterList: { type: "array", items: ref("DeadLetter"), example: [DEAD_LETTER_EXAMPLE] },
	RedriveResult: redriveResult,
	RedriveResultList: { type: "array", items: ref("RedriveResult"), example: [REDRIVE_RESULT_EXAMPLE] },
	...PAYMENT_SCHEMAS,
	Notification: notification,
	NotificationPage: page("Notification", NOTIFICATION_EXAMPLE),
	...SHIPPING_SCHEMAS,
	Error: error,
	ValidationError: validationError,
	OpenApiDocument: {
		type: "object",
		description: "An OpenAPI 3.1 document (this one).",
		required: ["openapi", "info", "paths"],
		properties: { openapi: { type: "string", pattern: "^3\\.1\\." }, info: { type: "object" }, paths: { type: "object" } },
		example: { openapi: "3.1.0", info: { title: "Shop API", version: "0.1.0" }, paths: {} },
	},
};

/** An example body for each action a write route calls (test/integration/openapi-document.test.ts checks each against its schema). */
export const REQUEST_EXAMPLES: Readonly<Record<string, Record<string, unknown>>> = {
	...Object.fromEntries(EVENT_CONSUMERS.map((service) => [`${service}.redriveDeadLetters`, { ids: [DEAD_LETTER_EXAMPLE.id] }])),
	"customers.register": { email: "ada@example.com", password: "correct horse battery", name: "Ada Lovelace" },
	"customers.login": { email: "ada@example.com", password: "correct horse battery" },
	"customers.updateMe": { name: "Ada King", addresses: [ADDRESS_EXAMPLE] },
	"catalogue.create": {
		sku: "BOOK-009",
		name: "Domain-Driven Design",
		description: "Tackling complexity in the heart of software.",
		category: "books",
		priceCents: 5499,
		currency: "EUR",
		weightGrams: 1200,
		stock: 20,
	},
	"catalogue.update": { priceCents: 4999, stock: 30 },
	"orders.create": {
		items: [{ productId: ID_EXAMPLE, qty: 2 }],
		shippingAddress: ADDRESS_EXAMPLE,
		paymentMethod: "tok_visa",
		shippingOptionId: "standard:990",
	},
	"carts.setItem": { qty: 2 },
	"carts.merge": { items: [{ productId: ID_EXAMPLE, qty: 2 }] },
	"carts.checkout": { shippingAddress: ADDRESS_EXAMPLE, paymentMethod: "tok_visa", shippingOptionId: "express" },
	...SHIPPING_REQUEST_EXAMPLES,
	...PAYMENT_REQUEST_EXAMPLES,
};
