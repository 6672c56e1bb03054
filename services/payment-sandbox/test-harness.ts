import http from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignature, type SignatureCheck } from "../../lib/webhook-signature";
import { startPaymentSandbox, type PaymentSandbox, type PaymentSandboxOptions } from "./sandbox";

/*
 * What the sandbox's tests share: a real webhook receiver that keeps every POST's raw bytes and
 * checks its signature as the shop would, a sandbox on a free port, a small JSON client, and
 * waiting on a condition instead of sleeping. Not a test itself (no jest in here).
 */

export const SECRET_KEY = "sk_test_harness";
export const WEBHOOK_SECRET = "whsec_harness";

/** One webhook POST as the receiver got it. */
export interface ReceivedWebhook {
	raw: Buffer;
	headers: http.IncomingHttpHeaders;
	signature: SignatureCheck;
	/** The parsed event (tests read its fields freely). */
	event: { id: string; type: string; data: { object: { id: string; status: string; version: number } } };
	status: number;
	/** When it arrived (ms since the epoch). */
	at: number;
}

export class WebhookReceiver {
	readonly received: ReceivedWebhook[] = [];
	/** The status the n-th POST (from 1) is answered with; 0 leaves it unanswered. */
	respond: (n: number) => number = () => 200;
	private constructor(
		private readonly server: http.Server,
		readonly url: string,
	) {}

	static async start(): Promise<WebhookReceiver> {
		let receiver: WebhookReceiver | undefined;
		const server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on("data", (chunk: Buffer) => chunks.push(chunk));
			req.on("end", () => {
				const raw = Buffer.concat(chunks);
				const status = receiver!.respond(receiver!.received.length + 1);
				const signature = verifySignature(WEBHOOK_SECRET, raw, req.headers.signature as string | undefined);
				const event = JSON.parse(raw.toString("utf8")) as ReceivedWebhook["event"];
				receiver!.received.push({ raw, headers: req.headers, signature, event, status, at: Date.now() });
				if (status !== 0) res.writeHead(status).end();
			});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/payments`);
		return receiver;
	}

	/** The POSTs answered 2xx, i.e. the deliveries, in arrival order. */
	delivered(): ReceivedWebhook[] {
		return this.received.filter((hook) => hook.status >= 200 && hook.status < 300);
	}

	/** The delivered events about one object, in arrival order. */
	about(objectId: string): ReceivedWebhook["event"][] {
		return this.delivered()
			.map((hook) => hook.event)
			.filter((event) => event.data.object.id === objectId);
	}

	async stop(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise((resolve) => this.server.close(resolve));
	}
}

export function startSandbox(webhookUrl: string, overrides: Partial<PaymentSandboxOptions> = {}): Promise<PaymentSandbox> {
	return startPaymentSandbox({
		port: 0,
		webhookUrl,
		secretKey: SECRET_KEY,
		webhookSecret: WEBHOOK_SECRET,
		slowMs: 300,
		refundMs: 200,
		webhookRetryMs: 50,
		webhookMode: "normal",
		webhookDelayMs: 300,
		...overrides,
	});
}

export interface Reply {
	status: number;
	headers: Headers;
	/** The parsed JSON body (tests read its fields freely), or the text when it is not JSON. */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	body: any;
	text: string;
}

export interface CallOptions {
	body?: unknown;
	/** An Idempotency-Key; "auto" (the default for POST) makes a fresh one. */
	key?: string | null;
	auth?: string | null;
	headers?: Record<string, string>;
	rawBody?: string | Buffer;
}

let keys = 0;

/** Calls the sandbox's API as the shop would (the bearer key unless told otherwise). */
export async function call(sandbox: PaymentSandbox, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
	const headers: Record<string, string> = { ...options.headers };
	const auth = options.auth === undefined ? SECRET_KEY : options.auth;
	if (auth !== null) headers.authorization = `Bearer ${auth}`;
	const key = options.key === undefined && method === "POST" ? `key-${process.pid}-${++keys}-${Date.now()}` : options.key;
	if (key) headers["idempotency-key"] = key;
	let body: string | Buffer | undefined = options.rawBody;
	if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		headers["content-type"] = "application/json";
	}
	const response = await fetch(`${sandbox.url}${path}`, { method, headers, body, redirect: "manual" });
	const text = await response.text();
	let parsed: unknown = text;
	try {
		parsed = JSON.parse(text);
	} catch {
		// not JSON: the text it is
	}
	return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Reads until `done` holds or `timeoutMs` passes; returns the last value read, for the assertion to judge. */
export async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (done(value) || Date.now() > deadline) return value;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

/** An intent made (and confirmed unless told otherwise) with `paymentMethod`. */
export async function intentWith(sandbox: PaymentSandbox, paymentMethod: string, extra: Record<string, unknown> = {}): Promise<Reply> {
	return call(sandbox, "POST", "/v1/payment_intents", { body: { amount: 1999, currency: "EUR", payment_method: paymentMethod, confirm: true, ...extra } });
}
