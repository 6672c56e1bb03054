import { api } from "./client";
import { ApiError, toApiError } from "./errors";
import type { Order } from "./types";

/*
 * Following GET /api/orders/:id/events, the order's status as Server-Sent Events. A browser's
 * EventSource cannot send an Authorization header, and the stream is the customer's own, so the
 * app reads it through the same client as every other call (api/client.ts, which sends the bearer
 * token in the header, never in the URL, where it would land in logs and history, and ends a
 * session whose token is refused), as a stream of bytes; the reconnection EventSource
 * would do is done here the same way: after the server's `retry`, with Last-Event-ID, until the
 * order is CONFIRMED or CANCELLED, or the server answers 204 (nothing more will come).
 */

/** One change: the data of an `event: status` (its schema is the document's OrderStatusEvent). */
export interface StatusChange {
	orderId: string;
	status: Order["status"];
	at: string;
	reason: string;
}

export type StreamState = "connecting" | "live" | "reconnecting" | "ended";

export interface FollowHandlers {
	onChange(change: StatusChange, index: number): void;
	onState(state: StreamState): void;
	/** A refusal that retrying will not mend (401, 404, 429…); the stream has stopped. */
	onError(error: ApiError): void;
}

const FINAL: ReadonlySet<string> = new Set(["CONFIRMED", "CANCELLED"]);

/** Splits a stream's text into events as the SSE format defines them (fields, then a blank line). */
export function createSseParser(onEvent: (event: { event: string; data: string; id?: string; retry?: number }) => void) {
	let buffer = "";
	let fields: { event: string; data: string[]; id?: string; retry?: number } = { event: "message", data: [] };
	return (chunk: string) => {
		buffer += chunk;
		const lines = buffer.split(/\r\n|\r|\n/);
		// The last piece is an unfinished line (or empty after a newline).
		buffer = lines.pop() ?? "";
		for (const line of lines) {
			if (line === "") {
				if (fields.data.length > 0 || fields.id !== undefined || fields.retry !== undefined) {
					onEvent({ event: fields.event, data: fields.data.join("\n"), id: fields.id, retry: fields.retry });
				}
				fields = { event: "message", data: [] };
				continue;
			}
			if (line.startsWith(":")) continue;
			const colon = line.indexOf(":");
			const name = colon === -1 ? line : line.slice(0, colon);
			const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
			if (name === "event") fields.event = value;
			else if (name === "data") fields.data.push(value);
			else if (name === "id") fields.id = value;
			else if (name === "retry" && /^\d+$/.test(value)) fields.retry = Number(value);
		}
	};
}

/** Follows the order's status until it is final; the returned function stops it (when the page goes). */
export function followOrder(orderId: string, handlers: FollowHandlers): () => void {
	const controller = new AbortController();
	let lastId: string | undefined;
	let retryMs = 3000;
	let final = false;

	const once = async (): Promise<"again" | "stop"> => {
		const { data, error, response } = await api.GET("/orders/{id}/events", {
			params: { path: { id: orderId } },
			headers: { Accept: "text/event-stream", ...(lastId === undefined ? {} : { "Last-Event-ID": lastId }) },
			parseAs: "stream",
			signal: controller.signal,
		});
		if (response.status === 204) return "stop";
		if (!response.ok || !data) {
			if (response.status >= 500) return "again";
			handlers.onError(toApiError(response.status, error));
			return "stop";
		}
		handlers.onState("live");
		const parse = createSseParser((event) => {
			if (event.retry !== undefined) retryMs = event.retry;
			if (event.event !== "status") return;
			if (event.id !== undefined) lastId = event.id;
			const change = JSON.parse(event.data) as StatusChange;
			if (FINAL.has(change.status)) final = true;
			handlers.onChange(change, Number(event.id));
		});
		const reader = data.pipeThrough(new TextDecoderStream()).getReader();
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			parse(value);
		}
		return final ? "stop" : "again";
	};

	const run = async () => {
		handlers.onState("connecting");
		for (;;) {
			let next: "again" | "stop";
			try {
				next = await once();
			} catch (err) {
				if (controller.signal.aborted) return;
				// The connection dropped (a gateway node restarted, the network went): as EventSource would, try again.
				next = err instanceof SyntaxError ? "stop" : "again";
			}
			if (next === "stop" || controller.signal.aborted) break;
			handlers.onState("reconnecting");
			await new Promise((resolve) => setTimeout(resolve, retryMs));
			if (controller.signal.aborted) return;
		}
		if (!controller.signal.aborted) handlers.onState("ended");
	};
	void run();
	return () => controller.abort();
}
