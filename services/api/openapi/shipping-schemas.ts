import { RETURN_STATUSES, SHIPMENT_STATUSES } from "../../../contracts";
import type { JsonSchema } from "./json-schema";
import { portablePattern } from "./portable-patterns";
import { cents, closed, currency, dateTime, page, ref } from "./schema-parts";
import { AT_EXAMPLE, ID_EXAMPLE, ORDER_EXAMPLE } from "./examples";

/*
 * The shipping service's answers (contracts/shipping.ts): quotes, an order's shipping and label,
 * and the shipments an operator lists; and an order's returns (contracts/returns.ts).
 */

const days = closed({ min: { type: "integer", minimum: 0 }, max: { type: "integer", minimum: 0 } });
const destination = closed({
	country: { type: "string", pattern: portablePattern("^[A-Z]{2}$") },
	postalCode: { type: "string", minLength: 1, maxLength: 20 },
});

const STANDARD = { id: "standard:990", optionId: "standard", name: "Standard", priceCents: 990, currency: "EUR", days: { min: 3, max: 7 } };
const EXPRESS = { id: "express:2490", optionId: "express", name: "Express", priceCents: 2490, currency: "EUR", days: { min: 1, max: 3 } };
const TRACKING_EXAMPLE = { carrier: "Sandbox Parcel", trackingNumber: "SP123456789012DE", label: "LBL-STANDARD-9d8c7b6a" };

export const SHIPMENT_EXAMPLE = {
	orderId: ORDER_EXAMPLE.id,
	customerId: ORDER_EXAMPLE.customerId,
	status: "LABELLED",
	optionId: "standard",
	weightGrams: 2200,
	destination: { country: "GB", postalCode: "SW1Y 4JH" },
	tracking: TRACKING_EXAMPLE,
	history: [
		{ status: "PENDING", at: AT_EXAMPLE, reason: "ORDER_PAID" },
		{ status: "BOOKING", at: AT_EXAMPLE, reason: "BOOKING_STARTED" },
		{ status: "LABELLED", at: AT_EXAMPLE, reason: "CARRIER_ACCEPTED" },
	],
	createdAt: AT_EXAMPLE,
	updatedAt: AT_EXAMPLE,
};

const shippingOption = closed(
	{
		id: {
			type: "string",
			pattern: portablePattern("^[a-z][a-z0-9-]{0,31}:[0-9]{1,9}$"),
			description: "What an order names as shippingOptionId to ship this way at this price (409 SHIPPING_PRICE_CHANGED if the price is no longer this).",
		},
		optionId: { type: "string", description: "The option in the rate table; an order may name it bare, at the price of the day." },
		name: { type: "string" },
		priceCents: cents,
		currency,
		days: { ...days, description: "Working days from dispatch to delivery." },
	},
	[],
	STANDARD,
);

const shippingQuote = closed(
	{
		destination,
		weightGrams: { type: "integer", minimum: 1, description: "The parcel: every line's product weight times its quantity." },
		currency,
		options: { type: "array", minItems: 1, items: ref("ShippingOption"), description: "Cheapest first." },
	},
	[],
	{ destination: { country: "GB", postalCode: "SW1Y 4JH" }, weightGrams: 2200, currency: "EUR", options: [STANDARD, EXPRESS] },
);

const orderShipping = closed(
	{
		optionId: { type: "string" },
		name: { type: "string" },
		priceCents: cents,
		days,
		weightGrams: { type: "integer", minimum: 1 },
	},
	[],
	{ optionId: "standard", name: "Standard", priceCents: 990, days: { min: 3, max: 7 }, weightGrams: 2200 },
);

const tracking = closed(
	{ carrier: { type: "string" }, trackingNumber: { type: "string" }, label: { type: "string", description: "The carrier's id of the printed label." } },
	[],
	TRACKING_EXAMPLE,
);

const shipment = closed(
	{
		orderId: { type: "string" },
		customerId: { type: "string" },
		status: { enum: [...SHIPMENT_STATUSES] },
		optionId: { type: "string" },
		weightGrams: { type: "integer", minimum: 0 },
		destination: closed({ country: { type: "string" }, postalCode: { type: "string" } }),
		tracking: ref("Tracking"),
		refusedReason: { type: "string", description: "Why the carrier refused the parcel (REFUSED)." },
		history: { type: "array", minItems: 1, items: closed({ status: { enum: [...SHIPMENT_STATUSES] }, at: dateTime, reason: { type: "string" } }) },
		createdAt: dateTime,
		updatedAt: dateTime,
	},
	["tracking", "refusedReason"],
	SHIPMENT_EXAMPLE,
);

const orderReturn = closed(
	{
		id: { type: "string", pattern: portablePattern("^r[1-9][0-9]{0,3}$"), description: "r1, r2…: the order's returns in the order asked for." },
		status: { enum: [...RETURN_STATUSES] },
		items: {
			type: "array",
			minItems: 1,
			items: closed({ productId: { type: "string" }, qty: { type: "integer", minimum: 1 }, refundCents: cents }),
		},
		refundCents: { ...cents, description: "Refunded once received: the lines, and shipping when this return completes the order's." },
		includesShipping: { type: "boolean" },
		requestedAt: dateTime,
		receivedAt: dateTime,
		refundedAt: dateTime,
	},
	["receivedAt", "refundedAt"],
	{
		id: "r1",
		status: "REQUESTED",
		items: [{ productId: ID_EXAMPLE, qty: 1, refundCents: 1999 }],
		refundCents: 1999,
		includesShipping: false,
		requestedAt: AT_EXAMPLE,
	},
);

export const SHIPPING_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
	OrderReturn: orderReturn,
	ShippingOption: shippingOption,
	ShippingQuote: shippingQuote,
	OrderShipping: orderShipping,
	Tracking: tracking,
	Shipment: shipment,
	ShipmentPage: page("Shipment", SHIPMENT_EXAMPLE),
};

export const SHIPPING_REQUEST_EXAMPLES: Readonly<Record<string, Record<string, unknown>>> = {
	"shipping.quote": { items: [{ productId: ID_EXAMPLE, qty: 2 }], destination: { country: "GB", postalCode: "SW1Y 4JH" } },
	"orders.requestReturn": { items: [{ productId: ID_EXAMPLE, qty: 1 }] },
};
