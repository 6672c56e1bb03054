import { CircuitBreaker, type BreakerState } from "../../lib/circuit-breaker";
import { ProcessorRejectedError, ProcessorUnavailableError } from "../../lib/errors";
import { retryDelayMs } from "../../lib/timers";

/*
 * The card processor's API as the shop uses it (Stripe's PaymentIntents; the sandbox in
 * services/payment-sandbox is one), over HTTP only, with an official client library's habits:
 * every call has a timeout; a call that is safe to repeat (a read, or a write under an
 * Idempotency-Key) is tried again on a network error, a timeout, a 429 or a 5xx, with backoff,
 * under the same key; and a circuit breaker stops calling a processor that keeps failing.
 */

export type IntentStatus =
	"requires_confirmation" | "requires_action" | "processing" | "requires_capture" | "succeeded" | "requires_payment_method" | "canceled";

export interface ProcessorIntent {
	id: string;
	object: "payment_intent";
	amount: number;
	currency: string;
	status: IntentStatus;
	payment_method: string;
	metadata: Record<string, string>;
	next_action: null | { type: "redirect_to_url"; redirect_to_url: { url: string; return_url?: string | null } };
	last_payment_error: null | { code: string; message?: string };
	amount_received: number;
	amount_refunded: number;
	created: number;
	/** Grows with every change of the intent: what puts its events in order. */
	version: number;
}

export interface ProcessorRefund {
	id: string;
	object: "refund";
	payment_intent: string;
	amount: number;
	currency: string;
	status: "pending" | "succeeded" | "failed";
	metadata: Record<string, string>;
	created: number;
	version: number;
}

export interface ProcessorList<T> {
	object: "list";
	data: T[];
	has_more: boolean;
}

export interface ProcessorClientOptions {
	baseUrl: string;
	secretKey: string;
	timeoutMs: number;
	breakerFailures: number;
	breakerOpenMs: number;
	/** Tries of a call that is safe to repeat, the first included. */
	attempts?: number;
	onBreakerChange?(state: BreakerState): void;
}

/** A processor answer of 4xx: a card's decline (402) is an answer to record, anything else a refusal. */
class ProcessorAnswerError extends Error {
	constructor(
		readonly status: number,
		readonly body: { error?: { type?: string; code?: string; message?: string; payment_intent?: ProcessorIntent } },
	) {
		super(`processor answered ${status}`);
	}
}

const RETRY_BASE_MS = 200;

export class ProcessorClient {
	readonly breaker: CircuitBreaker;

	constructor(private readonly options: ProcessorClientOptions) {
		this.breaker = new CircuitBreaker({ failures: options.breakerFailures, openMs: options.breakerOpenMs, onChange: options.onBreakerChange });
	}

	/** Creates and confirms the intent of one charge; a declined card answers the intent it failed on. */
	async createIntent(
		key: string,
		body: { amount: number; currency: string; payment_method: string; return_url: string; metadata: Record<string, string> },
	): Promise<ProcessorIntent> {
		try {
			return await this.send<ProcessorIntent>("POST", "/v1/payment_intents", { ...body, confirm: true }, key);
		} catch (err) {
			const intent = err instanceof ProcessorAnswerError && err.status === 402 ? err.body.error?.payment_intent : undefined;
			if (intent) return intent;
			throw rejected(err);
		}
	}

	getIntent(id: string): Promise<ProcessorIntent> {
		return this.send<ProcessorIntent>("GET", `/v1/payment_intents/${encodeURIComponent(id)}`).catch(rejectedAnswer);
	}

	/** Cancels an intent not yet settled; one the processor is still working on (or has settled) answers as it is. */
	async cancelIntent(id: string, key: string): Promise<ProcessorIntent> {
		try {
			return await this.send<ProcessorIntent>("POST", `/v1/payment_intents/${encodeURIComponent(id)}/cancel`, {}, key);
		} catch (err) {
			if (err instanceof ProcessorAnswerError && err.body.error?.code === "payment_intent_unexpected_state" && err.body.error.payment_intent) {
				return err.body.error.payment_intent;
			}
			throw rejected(err);
		}
	}

	createRefund(key: string, body: { payment_intent: string; amount: number; metadata: Record<string, string> }): Promise<ProcessorRefund> {
		return this.send<ProcessorRefund>("POST", "/v1/refunds", body, key).catch(rejectedAnswer);
	}

	getRefund(id: string): Promise<ProcessorRefund> {
		return this.send<ProcessorRefund>("GET", `/v1/refunds/${encodeURIComponent(id)}`).catch(rejectedAnswer);
	}

	listIntents(query: { limit: number; starting_after?: string }): Promise<ProcessorList<ProcessorIntent>> {
		return this.send<ProcessorList<ProcessorIntent>>("GET", `/v1/payment_intents?${new URLSearchParams(stringValues(query)).toString()}`).catch(
			rejectedAnswer,
		);
	}

	listRefunds(query: { payment_intent: string; limit: number; starting_after?: string }): Promise<ProcessorList<ProcessorRefund>> {
		return this.send<ProcessorList<ProcessorRefund>>("GET", `/v1/refunds?${new URLSearchParams(stringValues(query)).toString()}`).catch(rejectedAnswer);
	}

	/** One call through the breaker; tried again while it fails in a way that a repeat may mend. */
	private async send<T>(method: "GET" | "POST", path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
		const attempts = this.options.attempts ?? 3;
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.breaker.run(
					() => this.once<T>(method, path, body, idempotencyKey),
					(err) => err instanceof ProcessorUnavailableError,
					() => new ProcessorUnavailableError(`circuit open after ${this.options.breakerFailures} failed calls in a row`),
				);
			} catch (err) {
				// The processor is down for the breaker now: waiting here would only hold the caller.
				const circuitOpen = err instanceof ProcessorUnavailableError && this.breaker.state !== "closed";
				if (!(err instanceof ProcessorUnavailableError) || circuitOpen || attempt >= attempts) throw err;
				await new Promise((resolve) => setTimeout(resolve, retryDelayMs(attempt, RETRY_BASE_MS, 2000)));
			}
		}
	}

	/** One HTTP exchange: the parsed answer, a ProcessorAnswerError for a 4xx, ProcessorUnavailableError for anything a repeat may mend. */
	private async once<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
		const headers: Record<string, string> = { authorization: `Bearer ${this.options.secretKey}`, accept: "application/json" };
		if (body !== undefined) headers["content-type"] = "application/json";
		if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
		let res: Response;
		let text: string;
		try {
			res = await fetch(`${this.options.baseUrl}${path}`, {
				method,
				headers,
				body: body === undefined ? undefined : JSON.stringify(body),
				signal: AbortSignal.timeout(this.options.timeoutMs),
			});
			text = await res.text();
		} catch (err) {
			// AbortSignal.timeout rejects with a DOMException, which is not an instance of Error here.
			const name = (err as { name?: unknown } | null)?.name;
			const timedOut = name === "TimeoutError" || name === "AbortError";
			throw new ProcessorUnavailableError(timedOut ? `no answer within ${this.options.timeoutMs} ms` : describe(err));
		}
		if (res.status === 429 || res.status >= 500) throw new ProcessorUnavailableError(`${method} ${path.split("?")[0]} answered ${res.status}`);
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch {
			throw new ProcessorUnavailableError(`${method} ${path.split("?")[0]} answered ${res.status} with a body that is not JSON`);
		}
		if (res.status >= 400) throw new ProcessorAnswerError(res.status, parsed as ProcessorAnswerError["body"]);
		return parsed as T;
	}
}

/** Every item of a list the processor pages (newest first), at most `max`; `truncated` when more were left. */
export async function readAll<T extends { id: string }>(
	page: (startingAfter?: string) => Promise<ProcessorList<T>>,
	max = Number.POSITIVE_INFINITY,
): Promise<{ items: T[]; truncated: boolean }> {
	const items: T[] = [];
	for (let after: string | undefined; ;) {
		const next = await page(after);
		items.push(...next.data);
		if (!next.has_more || next.data.length === 0) return { items, truncated: false };
		if (items.length >= max) return { items, truncated: true };
		after = next.data[next.data.length - 1]!.id;
	}
}

/** A 4xx the caller does not expect as an answer: the shop asked wrongly. Other errors pass as they are. */
function rejected(err: unknown): unknown {
	if (!(err instanceof ProcessorAnswerError)) return err;
	const error = err.body.error;
	return new ProcessorRejectedError(err.status, error?.code ?? error?.type ?? "unknown", error?.message ?? "");
}

function rejectedAnswer(err: unknown): never {
	throw rejected(err);
}

function stringValues(query: Record<string, string | number | undefined>): Record<string, string> {
	return Object.fromEntries(Object.entries(query).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]])));
}

function describe(err: unknown): string {
	const cause = (err as { cause?: { code?: string; message?: string } }).cause;
	return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
