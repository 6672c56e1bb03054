/*
 * Examples of what the API answers, one per result schema (schemas.ts), shown in the OpenAPI
 * document; the document's own test checks each against its schema.
 */

export const ID_EXAMPLE = "3f1c2b9e-8a4d-4c1e-9f7a-2b6d5e8c1a90";
const CUSTOMER_ID_EXAMPLE = "b5e0c7d2-41f3-4a8e-9c6b-0d2e7f1a3b45";
export const AT_EXAMPLE = "2025-03-14T09:26:53.589Z";

export const ADDRESS_EXAMPLE = { label: "Home", name: "Ada Lovelace", line1: "12 St James's Square", city: "London", postalCode: "SW1Y 4JH", country: "GB" };

export const CUSTOMER_EXAMPLE = {
	id: CUSTOMER_ID_EXAMPLE,
	email: "ada@example.com",
	name: "Ada Lovelace",
	role: "customer",
	addresses: [ADDRESS_EXAMPLE],
	createdAt: AT_EXAMPLE,
	updatedAt: AT_EXAMPLE,
};

export const PRODUCT_EXAMPLE = {
	id: ID_EXAMPLE,
	sku: "BOOK-001",
	name: "Designing Data-Intensive Applications",
	description: "Reliable, scalable and maintainable systems.",
	category: "books",
	priceCents: 4299,
	currency: "EUR",
	weightGrams: 1100,
	stock: 40,
	active: true,
	createdAt: AT_EXAMPLE,
	updatedAt: AT_EXAMPLE,
};

export const ORDER_EXAMPLE = {
	id: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
	customerId: CUSTOMER_ID_EXAMPLE,
	items: [{ productId: ID_EXAMPLE, sku: "BOOK-001", name: "Designing Data-Intensive Applications", unitPriceCents: 4299, qty: 2, lineTotalCents: 8598 }],
	goodsCents: 8598,
	shippingCents: 990,
	totalCents: 9588,
	currency: "EUR",
	shippingAddress: ADDRESS_EXAMPLE,
	shipping: { optionId: "standard", name: "Standard", priceCents: 990, days: { min: 3, max: 7 }, weightGrams: 2200 },
	paymentMethod: "tok_visa",
	status: "PENDING",
	refundedCents: 0,
	history: [{ status: "PENDING", at: AT_EXAMPLE, reason: "ORDER_PLACED" }],
	createdAt: AT_EXAMPLE,
	updatedAt: AT_EXAMPLE,
};

export const PAYMENT_EXAMPLE = {
	id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
	orderId: ORDER_EXAMPLE.id,
	customerId: CUSTOMER_ID_EXAMPLE,
	amountCents: 9588,
	currency: "EUR",
	method: "tok_visa",
	status: "SETTLED",
	refundedCents: 0,
	providerRef: "pi_3f6c2a9e1b7d4c8a9e0f1a2b",
	history: [
		{ status: "PENDING", at: AT_EXAMPLE, reason: "ORDER_CREATED" },
		{ status: "CHARGING", at: AT_EXAMPLE, reason: "CHARGE_STARTED" },
		{ status: "PROCESSING", at: AT_EXAMPLE, reason: "PROCESSOR_ANSWERED_SUCCEEDED" },
		{ status: "SETTLED", at: AT_EXAMPLE, reason: "PROCESSOR_SUCCEEDED" },
	],
	createdAt: AT_EXAMPLE,
	updatedAt: AT_EXAMPLE,
};

export const NOTIFICATION_EXAMPLE = {
	id: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
	customerId: CUSTOMER_ID_EXAMPLE,
	orderId: ORDER_EXAMPLE.id,
	kind: "order.confirmed",
	to: "ada@example.com",
	subject: "Your order is confirmed",
	status: "SENT",
	createdAt: AT_EXAMPLE,
	sentAt: AT_EXAMPLE,
};

export const CART_LINE_EXAMPLE = {
	productId: ID_EXAMPLE,
	sku: "BOOK-001",
	name: "Designing Data-Intensive Applications",
	qty: 2,
	unitPriceCents: 4299,
	addedUnitPriceCents: 4599,
	currency: "EUR",
	lineTotalCents: 8598,
	active: true,
	stock: 40,
	issues: ["PRICE_CHANGED"],
};

export const CART_EXAMPLE = {
	customerId: CUSTOMER_ID_EXAMPLE,
	lines: [CART_LINE_EXAMPLE],
	totalCents: 8598,
	currency: "EUR",
	itemCount: 2,
	updatedAt: AT_EXAMPLE,
};

export const TIMELINE_EXAMPLE = {
	orderId: ORDER_EXAMPLE.id,
	customerId: CUSTOMER_ID_EXAMPLE,
	status: "CONFIRMED",
	entries: [
		{ at: AT_EXAMPLE, service: "orders", status: "PENDING", reason: "ORDER_PLACED", summary: "order placed", details: { totalCents: 8598, lines: 1 } },
		{
			at: AT_EXAMPLE,
			service: "payments",
			status: "SETTLED",
			reason: "PROCESSOR_SUCCEEDED",
			summary: "payment charged",
			details: { providerRef: "ch_3MqLiJ" },
		},
		{ at: AT_EXAMPLE, service: "orders", status: "CONFIRMED", reason: "PAYMENT_SETTLED", summary: "order confirmed" },
	],
	missing: [{ service: "notifications", error: "SERVICE_NOT_FOUND" }],
};

export const DEAD_LETTER_EXAMPLE = {
	id: "6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b",
	type: "order.confirmed",
	attempts: 5,
	lastError: "connect ECONNREFUSED 127.0.0.1:1025",
	receivedAt: AT_EXAMPLE,
	correlationId: ORDER_EXAMPLE.id,
};

export const REDRIVE_RESULT_EXAMPLE = { id: DEAD_LETTER_EXAMPLE.id, status: "DONE" };
