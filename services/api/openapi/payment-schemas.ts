import { PAYMENT_STATUSES } from "../../../contracts";
import { type JsonSchema } from "./json-schema";
import { cents, closed, currency, dateTime, page } from "./schema-parts";
import { AT_EXAMPLE, ORDER_EXAMPLE, PAYMENT_EXAMPLE } from "./examples";

/*
 * The payments service's answers (contracts/orders.ts Payment, the reconciliation report) and the
 * card processor's webhook as the gateway takes it (services/payments/processor-event.ts).
 */

const payment = closed(
	{
		id: { type: "string" },
		orderId: { type: "string" },
		customerId: { type: "string" },
		amountCents: cents,
		currency,
		method: { type: "string" },
		status: {
			enum: [...PAYMENT_STATUSES],
			description:
				"PENDING until the stock is held; CHARGING while the processor is asked; PROCESSING once it took the payment and its outcome is awaited (a signed webhook, or the shop asking); ACTION_REQUIRED while the customer must confirm it at `actionUrl` (3-D Secure); then SETTLED or DECLINED; VOIDED, REFUNDING, REFUNDED for a cancelled order.",
		},
		refundedCents: cents,
		providerRef: { type: "string", description: "The processor's payment intent, once it has one." },
		actionUrl: { type: "string", format: "uri", description: "While ACTION_REQUIRED: where the customer confirms the payment with their bank." },
		history: { type: "array", minItems: 1, items: closed({ status: { enum: [...PAYMENT_STATUSES] }, at: dateTime, reason: { type: "string" } }) },
		createdAt: dateTime,
		updatedAt: dateTime,
	},
	["providerRef", "actionUrl"],
	PAYMENT_EXAMPLE,
);

const processorEventAccepted = closed(
	{
		applied: { type: "boolean", description: "Whether the event changed a payment; false for one seen before, or older than what the payment knows." },
		ignored: {
			enum: ["UNKNOWN_PAYMENT"],
			description: "Set when the event is about no payment the shop knows (logged, and answered 200 so it is not sent again).",
		},
	},
	["ignored"],
	{ applied: true },
);

const DISCREPANCY_EXAMPLE = {
	kind: "AMOUNTS_DIFFER",
	orderId: ORDER_EXAMPLE.id,
	intentId: "pi_3f6c2a9e1b7d4c8a9e0f1a2b",
	processorCents: 9588,
	shopCents: 0,
	currency: "EUR",
	paymentStatus: "PROCESSING",
};

const reconciliationReport = closed(
	{
		checkedAt: dateTime,
		intents: { type: "integer", minimum: 0, description: "The processor's payment intents read." },
		payments: { type: "integer", minimum: 0, description: "The shop's payments compared with them." },
		truncated: { type: "boolean", description: "True when the processor had more intents than one report reads; the oldest were left out." },
		discrepancies: {
			type: "array",
			items: closed(
				{
					kind: { enum: ["PROCESSOR_WITHOUT_PAYMENT", "PAYMENT_WITHOUT_PROCESSOR", "AMOUNTS_DIFFER"] },
					orderId: { type: "string" },
					intentId: { type: "string" },
					processorCents: { ...cents, description: "What the processor holds for it: taken, less refunds." },
					shopCents: { ...cents, description: "What the shop's payment says it holds." },
					currency: { type: "string" },
					paymentStatus: { enum: [...PAYMENT_STATUSES] },
				},
				["orderId", "intentId", "paymentStatus"],
			),
		},
	},
	[],
	{ checkedAt: AT_EXAMPLE, intents: 120, payments: 120, truncated: false, discrepancies: [DISCREPANCY_EXAMPLE] },
);

export const PAYMENT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
	Payment: payment,
	PaymentPage: page("Payment", PAYMENT_EXAMPLE),
	ProcessorEventAccepted: processorEventAccepted,
	ReconciliationReport: reconciliationReport,
};

export const PAYMENT_REQUEST_EXAMPLES: Readonly<Record<string, Record<string, unknown>>> = {
	"payments.acceptProcessorEvent": {
		id: "evt_5b0e6f2d8c4a1e9b7d3f6a2c",
		object: "event",
		type: "payment_intent.succeeded",
		created: 1796644800,
		data: {
			object: {
				id: "pi_3f6c2a9e1b7d4c8a9e0f1a2b",
				object: "payment_intent",
				amount: 9588,
				currency: "eur",
				status: "succeeded",
				version: 3,
				metadata: { order_id: ORDER_EXAMPLE.id },
			},
		},
	},
};
