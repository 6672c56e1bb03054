import { CANCEL_REASONS, ORDER_STATUSES } from "../../../contracts";
import type { JsonSchema } from "./json-schema";
import { portablePattern } from "./portable-patterns";
import { cents, closed, currency, dateTime, ref } from "./schema-parts";
import { AT_EXAMPLE, ORDER_EXAMPLE, TIMELINE_EXAMPLE } from "./examples";

/*
 * An order as the orders service answers it (toOrder) and what is told about it: its status as
 * a live event stream, its timeline across the services, and the admins' figures.
 */

const TIMELINE_SERVICES = ["orders", "catalogue", "payments", "shipping", "notifications"];

const orderLine = closed({
	productId: { type: "string" },
	sku: { type: "string" },
	name: { type: "string" },
	unitPriceCents: cents,
	qty: { type: "integer", minimum: 1 },
	lineTotalCents: cents,
});

export const order = closed(
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

/**
 * One event of GET /orders/{id}/events (services/api/order-streams.ts): as Server-Sent Events
 * are read, an object of the event's fields, its `data` the status change as JSON.
 */
export const orderStatusEvent = closed(
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

/** orders.timeline (contracts/timeline.ts): every service's part of an order's story, and the parts that could not be read. */
export const orderTimeline = closed(
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

const count: JsonSchema = { type: "integer", minimum: 0 };
const nullableMs: JsonSchema = { type: ["integer", "null"], minimum: 0 };

/** orders.stats (services/orders/admin-orders.ts orderStats). */
export const orderStats = closed(
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
