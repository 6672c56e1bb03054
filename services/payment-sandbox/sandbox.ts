import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookMode } from "../../lib/env";
import { SandboxApi } from "./api";
import { SandboxBooks } from "./books";
import { ApiError, json, jsonObject, readBody, SandboxStoppingError, send, type Answer } from "./http-io";
import { IdempotencyKeeper } from "./idempotency";
import { SandboxStore } from "./store";
import { answerChallenge } from "./three-ds";
import { WebhookDispatcher, type SandboxLog } from "./webhooks";

/*
 * A card processor sandbox modelled on Stripe's PaymentIntents API: its own HTTP server and its
 * own books, which the shop reaches only over HTTP, as it would a real processor (docs/payment-sandbox.md).
 * Everything it must finish later (a slow card, a refund, a webhook not yet delivered) is a due
 * time in its books that a small loop applies, so a restart on the same data directory makes it
 * happen late rather than never.
 */

export interface PaymentSandboxOptions {
	/** 0: any free port. */
	port: number;
	/** Default "127.0.0.1". */
	host?: string;
	/** Where a browser reaches it (the 3-D Secure page); default `http://localhost:<actual port>`. */
	publicUrl?: string;
	/** Where webhooks go (the shop's POST /api/webhooks/payments). */
	webhookUrl: string;
	/** The API key every /v1 call must carry as `Authorization: Bearer <key>`. */
	secretKey: string;
	/** The HMAC secret webhooks are signed with. */
	webhookSecret: string;
	/** Its books' files; in memory without. */
	dataDir?: string;
	/** How long tok_slow is processing, and tok_insufficient_funds authorised before its capture fails. */
	slowMs: number;
	/** How long a refund is pending before it succeeds. */
	refundMs: number;
	/** The first wait before an undelivered webhook is sent again (doubling, to 60 s, until a 2xx). */
	webhookRetryMs: number;
	webhookMode: WebhookMode;
	/** How late "late" delivers; how long "reorder" gathers events before sending them newest first. */
	webhookDelayMs: number;
	log?: SandboxLog;
}

export interface PaymentSandbox {
	url: string;
	port: number;
	stop(): Promise<void>;
}

/** How often due changes and deliveries are looked for. */
const TICK_MS = 50;

const SILENT: SandboxLog = { info: () => undefined, warn: () => undefined };

function listen(server: http.Server, port: number, host: string): Promise<void> {
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(port, host, () => {
			server.off("error", reject);
			resolve();
		});
	});
}

/** How a caller on this machine reaches the server: a wildcard address is reached on loopback. */
function urlOf(host: string, port: number): string {
	const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
	return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

export async function startPaymentSandbox(options: PaymentSandboxOptions): Promise<PaymentSandbox> {
	const log = options.log ?? SILENT;
	const host = options.host ?? "127.0.0.1";
	const store = await SandboxStore.open(options.dataDir);
	const webhooks = new WebhookDispatcher(
		store,
		{ url: options.webhookUrl, secret: options.webhookSecret, retryMs: options.webhookRetryMs },
		{ mode: options.webhookMode, delayMs: options.webhookDelayMs },
		log,
	);
	const inFlight = new Set<Promise<void>>();
	// The 3-D Secure links need the port, known once listening; until then requests are told to wait.
	let ready: { books: SandboxBooks; api: SandboxApi } | undefined;

	async function answer(req: IncomingMessage): Promise<Answer> {
		if (!ready) throw new SandboxStoppingError();
		const method = req.method ?? "GET";
		let url: URL;
		try {
			url = new URL(req.url ?? "/", "http://sandbox.invalid");
		} catch {
			throw new ApiError(400, "invalid_request_error", "The request URL is malformed.");
		}
		const path = url.pathname;
		if (path === "/v1" || path.startsWith("/v1/")) {
			return ready.api.answer(method, path, url.searchParams, req.headers, async () => jsonObject(await readBody(req)));
		}
		const challenge = /^\/3ds\/([^/]+)$/.exec(path);
		if (challenge) return answerChallenge(ready.books, method, challenge[1]!, url.searchParams, () => readBody(req));
		if (path === "/healthz") {
			if (method !== "GET") throw new ApiError(405, "invalid_request_error", `${method} is not allowed on /healthz; use GET.`, {}, { allow: "GET" });
			return json(200, { ok: true });
		}
		throw new ApiError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		let reply: Answer;
		try {
			reply = await answer(req);
		} catch (err) {
			if (err instanceof ApiError) reply = err.answer();
			else if (err instanceof SandboxStoppingError) reply = new ApiError(503, "api_error", err.message).answer();
			else {
				log.warn(`Payment sandbox failed on ${req.method} ${req.url}`, err);
				reply = new ApiError(500, "api_error", "The payment sandbox failed on this request.").answer();
			}
		}
		if (!res.destroyed) send(res, reply);
	}

	const server = http.createServer((req, res) => {
		const handling = handle(req, res).catch((err: unknown) => {
			log.warn("Payment sandbox could not answer", err);
			res.destroy();
		});
		inFlight.add(handling);
		void handling.finally(() => inFlight.delete(handling));
	});
	try {
		await listen(server, options.port, host);
	} catch (err) {
		await store.close();
		throw err;
	}
	const port = (server.address() as AddressInfo).port;
	const publicUrl = (options.publicUrl ?? `http://localhost:${port}`).replace(/\/+$/, "");
	const books = new SandboxBooks(store, webhooks, { slowMs: options.slowMs, refundMs: options.refundMs }, publicUrl);
	ready = { books, api: new SandboxApi(books, webhooks, new IdempotencyKeeper(store.idempotency, () => store.nextSeq()), options.secretKey) };

	let ticking: Promise<void> | null = null;
	const tick = () => {
		if (ticking) return;
		ticking = books
			.applyDue(Date.now())
			.then(() => webhooks.pump())
			.catch((err: unknown) => {
				if (!(err instanceof SandboxStoppingError)) log.warn("Payment sandbox could not apply what was due", err);
			})
			.finally(() => {
				ticking = null;
			});
	};
	const ticker = setInterval(tick, TICK_MS);
	ticker.unref();
	// What a previous run left due (a slow card, a refund, webhooks to resend) is taken up at once.
	tick();

	let stopping: Promise<void> | undefined;
	const stop = async () => {
		clearInterval(ticker);
		const closed = new Promise((resolve) => server.close(resolve));
		// Keep-alive sockets would hold close() open; requests cut short end in their handlers.
		server.closeAllConnections();
		// The port is free once stop() resolves, for a start on the same port.
		await closed;
		await webhooks.stop();
		await ticking;
		await Promise.allSettled([...inFlight]);
		await books.close();
		await store.close();
	};
	return {
		url: urlOf(host, port),
		port,
		stop: () => (stopping ??= stop()),
	};
}
