import { EVENT_CONSUMERS } from "../routes";
import type { JsonSchema } from "./json-schema";
import { portablePattern } from "./portable-patterns";
import { cents, closed, currency, dateTime, page, ref } from "./schema-parts";
import { order, orderStats, orderStatusEvent, orderTimeline } from "./order-schemas";
import { error, health, openApiDocument, validationError } from "./gateway-schemas";
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
	DEAD_LETTER_EXAMPLE,
	REDRIVE_RESULT_EXAMPLE,
} from "./examples";

/*
 * The hand-written part of the OpenAPI document: what the handlers return, as components.schemas,
 * plus an example request body per action. Here: customers and the login result (toCustomer),
 * products (toProduct), the cart (services/carts/cart.ts viewCart), notifications
 * (toNotification) and dead letters; the others come from the *-schemas.ts beside this file
 * (orders, the gateway's own answers and its error shape, shipping, payments). Every result is a
 * closed shape (additionalProperties: false), so a field added to a handler but not here shows up
 * as a failing response check rather than as undocumented data.
 */

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

const loginResult = closed({ token: { type: "string", minLength: 1 }, tokenType: { const: "Bearer" }, expiresAt: dateTime, customer: ref("Customer") }, [], {
	token: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJiNWUwIn0.c2lnbmF0dXJl",
	tokenType: "Bearer",
	expiresAt: AT_EXAMPLE,
	customer: CUSTOMER_EXAMPLE,
});

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
	OpenApiDocument: openApiDocument,
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
