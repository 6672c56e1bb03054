/*
 * A card processor's event, as its webhook carries it and the gateway hands it on once its
 * signature is verified: the processor's own shape (Stripe's), checked here for the fields the
 * payments read, the rest passed over. Signed means it came from the processor, not that it is
 * well formed: a malformed one is refused like any other bad input.
 */

export const PROCESSOR_EVENT_TYPES = [
	"payment_intent.requires_action",
	"payment_intent.processing",
	"payment_intent.amount_capturable_updated",
	"payment_intent.succeeded",
	"payment_intent.payment_failed",
	"payment_intent.canceled",
	"refund.created",
	"refund.updated",
] as const;

export interface ProcessorEvent {
	id: string;
	type: (typeof PROCESSOR_EVENT_TYPES)[number];
	created: number;
	data: {
		object: {
			id: string;
			object: "payment_intent" | "refund";
			status: string;
			version: number;
			amount: number;
			metadata?: Record<string, string>;
			[field: string]: unknown;
		};
	};
}

const shortString = (max: number) => ({ type: "string", min: 1, max });

/** The params rule of payments.acceptProcessorEvent (a fresh object each time: Moleculer drops an object met twice). */
export function processorEventRule() {
	return {
		$$strict: "remove",
		id: { ...shortString(100), pattern: "^evt_[A-Za-z0-9]+$" },
		type: { type: "enum", values: [...PROCESSOR_EVENT_TYPES] },
		created: { type: "number", integer: true, min: 0 },
		data: {
			type: "object",
			strict: "remove",
			props: {
				object: {
					type: "object",
					strict: false,
					props: {
						id: { ...shortString(100), pattern: "^(pi|re)_[A-Za-z0-9]+$" },
						object: { type: "enum", values: ["payment_intent", "refund"] },
						status: shortString(40),
						version: { type: "number", integer: true, min: 1 },
						amount: { type: "number", integer: true, min: 0 },
						// The processor's metadata is what the shop gave it: the ids it reads back are checked, any other key passes.
						metadata: {
							type: "object",
							optional: true,
							strict: false,
							props: { order_id: { ...shortString(100), optional: true }, return_id: { ...shortString(100), optional: true } },
						},
					},
				},
			},
		},
	};
}
