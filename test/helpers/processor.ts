import type { ProcessorIntent, ProcessorList, ProcessorRefund } from "../../services/payments/processor-client";
import type { WebhookMode } from "../../lib/env";

/*
 * The card processor as a test sees it: over its HTTP API, with the shop's key. Its books are
 * what moved money; a test compares them with the shop's payments and refunds.
 */

export interface Processor {
	url: string;
	secretKey: string;
}

async function call<T>(processor: Processor, method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(`${processor.url}${path}`, {
		method,
		headers: { authorization: `Bearer ${processor.secretKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const parsed = (await res.json()) as T;
	if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(parsed)}`);
	return parsed;
}

async function all<T extends { id: string }>(processor: Processor, path: string): Promise<T[]> {
	const items: T[] = [];
	for (let after = ""; ;) {
		const page = await call<ProcessorList<T>>(
			processor,
			"GET",
			`${path}${path.includes("?") ? "&" : "?"}limit=100${after ? `&starting_after=${after}` : ""}`,
		);
		items.push(...page.data);
		if (!page.has_more || page.data.length === 0) return items;
		after = page.data[page.data.length - 1]!.id;
	}
}

/** Money the processor moved, one entry per succeeded charge or refund, by the order (and return) it was for. */
export interface LedgerEntry {
	kind: "charge" | "refund";
	orderId: string;
	returnId?: string;
	amountCents: number;
	intentId: string;
}

/**
 * The processor's books for one order, several, or all: one listing of the intents, and the refunds
 * of the wanted ones alone (the books hold every order ever placed on that sandbox). Oldest first.
 */
export async function processorLedger(processor: Processor, orders?: string | Iterable<string>): Promise<LedgerEntry[]> {
	const wanted = orders === undefined ? undefined : new Set(typeof orders === "string" ? [orders] : orders);
	const intents = (await all<ProcessorIntent>(processor, "/v1/payment_intents")).filter((intent) => !wanted || wanted.has(intent.metadata.order_id ?? ""));
	const entries: LedgerEntry[] = [];
	for (const intent of intents.reverse()) {
		const order = intent.metadata.order_id!;
		if (intent.status === "succeeded") entries.push({ kind: "charge", orderId: order, amountCents: intent.amount_received, intentId: intent.id });
		for (const refund of (await all<ProcessorRefund>(processor, `/v1/refunds?payment_intent=${intent.id}`)).reverse()) {
			if (refund.status !== "succeeded") continue;
			const returnId = refund.metadata.return_id;
			entries.push({ kind: "refund", orderId: order, ...(returnId ? { returnId } : {}), amountCents: refund.amount, intentId: intent.id });
		}
	}
	return entries;
}

export async function processorIntents(processor: Processor, orderId: string): Promise<ProcessorIntent[]> {
	return (await all<ProcessorIntent>(processor, "/v1/payment_intents")).filter((intent) => intent.metadata.order_id === orderId);
}

/** The sandbox's test switch: how it delivers its webhooks from now on. */
export async function deliverWebhooks(processor: Processor, mode: WebhookMode, delayMs?: number): Promise<void> {
	await call(processor, "POST", "/v1/test/webhooks", { mode, ...(delayMs === undefined ? {} : { delay_ms: delayMs }) });
}

/** Every event the sandbox has not delivered (a test's "never" mode), sent again now. */
export async function redeliverUndelivered(processor: Processor): Promise<number> {
	const events = await all<{ id: string; delivered: boolean }>(processor, "/v1/events");
	const undelivered = events.filter((event) => !event.delivered);
	for (const event of undelivered) await call(processor, "POST", `/v1/events/${event.id}/redeliver`, {});
	return undelivered.length;
}

/** What the customer does on the processor's 3-D Secure page: its answer, not followed (a 303 back to the shop, or 409 once decided). */
export function decideOn3dsPage(actionUrl: string, decision: "approve" | "refuse"): Promise<Response> {
	return fetch(actionUrl, {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded" },
		body: `decision=${decision}`,
		redirect: "manual",
	});
}
