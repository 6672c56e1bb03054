import http from "node:http";
import https from "node:https";
import type { WebhookMode } from "../../lib/env";
import { retryDelayMs } from "../../lib/timers";
import { signatureHeader } from "../../lib/webhook-signature";
import { newId, type DeliveryRow, type EventRow, type SandboxStore } from "./store";

/*
 * Webhook delivery. Each POST still to be made is a row with a due time, so deliveries survive a
 * restart and a receiver that was down gets every event once it is back. Due rows go out several
 * at a time over kept-alive connections, as a real processor's do: sent one by one, a shop taking
 * 50 orders a second queued its webhooks behind each other (the bench measured 160 ms of waiting
 * per order). So a receiver may see two events of one intent in either order, which it must
 * handle anyway (the intent's `version` orders them). The `reorder` mode sends one at a time, as
 * the order it breaks on purpose must hold.
 */

export interface SandboxLog {
	info(message: string): void;
	warn(message: string, err?: unknown): void;
}

/** How events are delivered now: a test switch, kept in memory (it starts from the options at each start). */
export interface WebhookSettings {
	mode: WebhookMode;
	delayMs: number;
}

export interface WebhookTarget {
	url: string;
	secret: string;
	/** The first wait after a failed attempt; doubled after each, to at most MAX_RETRY_MS. */
	retryMs: number;
}

/** A receiver that has not answered within this has failed this attempt. */
const ANSWER_WITHIN_MS = 10_000;
const MAX_RETRY_MS = 60_000;
/** Due deliveries read at once; the rest are read when these are done. */
const BATCH = 100;
/** POSTs in flight at once (and connections kept open to the receiver). */
const CONCURRENCY = 16;

export class WebhookDispatcher {
	private batchClosesAtMs = 0;
	private readonly stopping = new AbortController();
	private pumping: Promise<void> | null = null;
	private pumpAgain = false;
	private readonly agents = {
		http: new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }),
		https: new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY }),
	};

	constructor(
		private readonly store: SandboxStore,
		private readonly target: WebhookTarget,
		public settings: WebhookSettings,
		private readonly log: SandboxLog,
	) {}

	/** Schedules the POSTs of a new event as the mode in force says. */
	async scheduleNew(event: EventRow, nowMs: number): Promise<void> {
		const { mode, delayMs } = this.settings;
		switch (mode) {
			case "never":
				return;
			case "normal":
				await this.schedule(event, nowMs, event.seq);
				break;
			case "late":
				await this.schedule(event, nowMs + delayMs, event.seq);
				break;
			case "twice":
				await this.schedule(event, nowMs, event.seq);
				await this.schedule(event, nowMs, event.seq);
				break;
			case "reorder":
				// Every event until the batch closes is due at its close, ordered newest first.
				if (this.batchClosesAtMs <= nowMs) this.batchClosesAtMs = nowMs + delayMs;
				await this.schedule(event, this.batchClosesAtMs, -event.seq);
				break;
		}
		this.pump();
	}

	/** Sends the event again now, whatever the mode and whether it was delivered before. */
	async redeliver(event: EventRow, nowMs: number): Promise<void> {
		await this.schedule(event, nowMs, event.seq);
		this.pump();
	}

	/** Starts sending what is due, unless a run is under way (which then looks again when done). */
	pump(): void {
		if (this.stopping.signal.aborted) return;
		if (this.pumping) {
			this.pumpAgain = true;
			return;
		}
		this.pumping = this.sendDue()
			.catch((err: unknown) => this.log.warn("Webhook delivery failed", err))
			.finally(() => {
				this.pumping = null;
				if (this.pumpAgain) {
					this.pumpAgain = false;
					this.pump();
				}
			});
	}

	/** Aborts the POST in flight (its row stays due, to be sent after a restart) and waits for the run to end. */
	async stop(): Promise<void> {
		this.stopping.abort();
		await this.pumping;
		// Nothing of the sandbox's stays open after stop(): the kept-alive connections go too.
		this.agents.http.destroy();
		this.agents.https.destroy();
	}

	private async schedule(event: EventRow, dueAtMs: number, order: number): Promise<void> {
		await this.store.deliveries.insert({ _id: newId("dlv_"), seq: this.store.nextSeq(), eventId: event._id, dueAtMs, order, attempt: 0 });
	}

	private async sendDue(): Promise<void> {
		for (;;) {
			const due = await this.store.deliveries.find({ dueAtMs: { $lte: Date.now() } }, { dueAtMs: 1, order: 1 }, BATCH);
			const lanes = this.settings.mode === "reorder" ? 1 : CONCURRENCY;
			let next = 0;
			// Each lane takes the next due row until none is left: at most `lanes` POSTs at once, started in the rows' order.
			const lane = async () => {
				while (next < due.length && !this.stopping.signal.aborted) await this.attempt(due[next++]!);
			};
			await Promise.all(Array.from({ length: Math.min(lanes, due.length) }, lane));
			if (this.stopping.signal.aborted || due.length < BATCH) return;
		}
	}

	private async attempt(delivery: DeliveryRow): Promise<void> {
		const event = await this.store.events.get(delivery.eventId);
		if (!event) return this.store.deliveries.remove(delivery._id);
		const body = event.json;
		let failure: string;
		try {
			const status = await post(this.target.url, body, { Signature: signatureHeader(this.target.secret, body) }, this.stopping.signal, this.agents);
			if (status >= 200 && status < 300) {
				await this.store.deliveries.remove(delivery._id);
				await this.store.events.update(event._id, { delivered: true }, { attempts: 1 });
				return;
			}
			failure = `answered ${status}`;
		} catch (err) {
			failure = err instanceof Error ? err.message : String(err);
		}
		// Cut short by stop(): not the receiver's failure; the row stays due for the next start.
		if (this.stopping.signal.aborted) return;
		const attempt = delivery.attempt + 1;
		const waitMs = retryDelayMs(attempt, this.target.retryMs, MAX_RETRY_MS);
		await this.store.events.update(event._id, {}, { attempts: 1 });
		await this.store.deliveries.update(delivery._id, { attempt, dueAtMs: Date.now() + waitMs });
		this.log.warn(`Webhook ${event._id} (${event.type}) not delivered, attempt ${attempt}: ${failure}; trying again in ${waitMs} ms`);
	}
}

/** POSTs `body` and resolves with the status of the answer; fails on a network error, an abort or no answer in time. */
function post(
	url: string,
	body: string,
	headers: Record<string, string>,
	signal: AbortSignal,
	agents: { http: http.Agent; https: https.Agent },
): Promise<number> {
	return new Promise((resolve, reject) => {
		const target = new URL(url);
		const secure = target.protocol === "https:";
		const request = (secure ? https : http).request(
			target,
			{
				method: "POST",
				agent: secure ? agents.https : agents.http,
				signal,
				headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "shop-payment-sandbox" },
			},
			(response) => {
				resolve(response.statusCode ?? 0);
				// The answer's body is not read, only drained; a reset while draining is no one's concern.
				response.on("error", () => undefined);
				response.resume();
			},
		);
		const timer = setTimeout(() => request.destroy(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
		request.once("close", () => clearTimeout(timer));
		request.once("error", reject);
		request.end(body);
	});
}
