import { json } from "../cluster-lib";
import { percentile } from "./report";

/*
 * Where a checkout's time goes: each step of the saga, from the timestamps the services record
 * themselves (the order's status history, the payment's record and history), so it works alike
 * on one process and on a cluster and needs no tracing. Steps are measured between the moments
 * two services wrote something; every shop process runs on this machine's clock.
 */

export interface PlacedOrder {
	id: string;
	token: string;
	postedAt: number;
}

interface OrderView {
	status: string;
	createdAt: string;
	history: { status: string; at: string }[];
}

interface PaymentView {
	createdAt: string;
	history: { status: string; at: string }[];
}

/** Step name → what it spans; the order is the saga's. */
export const STEPS = {
	accepted: "POST → order stored (gateway, catalogue.quote, insert)",
	reserved: "order stored → orders saw stock.reserved (relay, catalogue, relay)",
	"payment opened": "order stored → payments stored order.created",
	"charge started": "order stored → payments began charging (after stock.reserved)",
	charged: "charge began → settled (the processor's answer, then its signed webhook)",
	"processor answered": "charge began → the processor's answer recorded (PROCESSING: one HTTP call to the processor)",
	"webhook hop": "answer recorded → settled by the processor's webhook (sandbox → gateway → signature → payments)",
	paid: "settled → orders saw payment.settled (relay, orders)",
	booked: "orders saw payment.settled → order CONFIRMED (relay, shipping books with the carrier sandbox, relay, orders)",
} as const;
export type Step = keyof typeof STEPS;

function at(history: { status: string; at: string }[], status: string): number | undefined {
	const entry = history.find((change) => change.status === status);
	return entry ? Date.parse(entry.at) : undefined;
}

/** The steps of one confirmed order, in ms; undefined when it did not take that path. */
function stepsOf(placed: PlacedOrder, order: OrderView, payment: PaymentView | undefined): Partial<Record<Step, number>> {
	const created = Date.parse(order.createdAt);
	const reserved = at(order.history, "AWAITING_PAYMENT");
	const paid = at(order.history, "AWAITING_SHIPMENT");
	const confirmed = at(order.history, "CONFIRMED");
	const charging = payment && at(payment.history, "CHARGING");
	const settled = payment && at(payment.history, "SETTLED");
	const answered = payment && at(payment.history, "PROCESSING");
	const span = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? undefined : to - from);
	return {
		accepted: created - placed.postedAt,
		reserved: span(created, reserved),
		"payment opened": span(created, payment && Date.parse(payment.createdAt)),
		"charge started": span(created, charging),
		charged: span(charging, settled),
		"processor answered": span(charging, answered),
		"webhook hop": span(answered, settled),
		paid: span(settled, paid),
		booked: span(paid, confirmed),
	};
}

/** The p50 and p99 of every step over (a sample of) the confirmed orders. */
export async function sagaStages(base: string, placed: PlacedOrder[], sample = 200): Promise<{ step: Step; p50Ms: number; p99Ms: number }[]> {
	const values: Record<Step, number[]> = Object.fromEntries(Object.keys(STEPS).map((step) => [step, []])) as never;
	// Spread over the whole run, not only its start.
	const every = Math.max(1, Math.ceil(placed.length / sample));
	for (const order of placed.filter((_, i) => i % every === 0)) {
		const auth = { headers: { authorization: `Bearer ${order.token}` } };
		const [view, payments] = await Promise.all([
			json<OrderView>(`${base}/orders/${order.id}`, auth),
			json<{ rows: PaymentView[] }>(`${base}/payments?orderId=${order.id}`, auth),
		]);
		// Confirmed, whether or not its parcel has left since (SHIPPED, DELIVERED).
		if (!view.body || at(view.body.history, "CONFIRMED") === undefined) continue;
		for (const [step, ms] of Object.entries(stepsOf(order, view.body, payments.body?.rows?.[0]))) {
			if (ms !== undefined) values[step as Step].push(ms);
		}
	}
	return (Object.keys(STEPS) as Step[])
		.filter((step) => values[step].length > 0)
		.map((step) => ({ step, p50Ms: percentile(values[step], 50), p99Ms: percentile(values[step], 99) }));
}

export function stagesTable(stages: { step: Step; p50Ms: number; p99Ms: number }[]): string {
	const rows = stages.map(
		({ step, p50Ms, p99Ms }) => `  ${step.padEnd(16)} ${String(Math.round(p50Ms)).padStart(7)} ${String(Math.round(p99Ms)).padStart(7)}  ${STEPS[step]}`,
	);
	return ["checkout steps      p50 ms  p99 ms", ...rows].join("\n");
}
