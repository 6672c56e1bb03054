import type { Context, Middleware, ServiceBroker } from "moleculer";

/*
 * A replica that dies without a word (SIGKILL, a container killed) stays in every other node's
 * registry until Moleculer misses its heartbeats: 30 s by default, and no less than 2-3 s at any
 * setting, since the registry counts heartbeats in whole seconds. Calls routed to it meanwhile
 * wait out the request timeout. NATS knows at once: the dead process's socket closes and the
 * server drops its subscriptions.
 *
 * So each node answers on a subject of its own, `<prefix>.ALIVE.<nodeID>`, from its transporter's
 * own NATS connection, which lives and dies with the node. A call to another node that has had no
 * answer within `probeAfterMs` makes the caller ask that subject. The server answers at once with
 * "no responders" when nobody subscribes; a node whose machine vanished (no socket closed) does
 * not answer within `probeTimeoutMs`. Either way the caller marks the node disconnected, as a
 * missed heartbeat would: Moleculer takes its endpoints out of rotation and rejects the calls in
 * flight to it with a retryable error, which the retry policy sends to another replica.
 *
 * "No responders" is certain; silence is not. A live node on a small CPU budget under load (an
 * orders container on a tenth of a CPU in the compose suite) answered later than a second, and
 * taking it for gone emptied its service of endpoints until its next heartbeat: up to 10 s of
 * 503s where it was the only replica. So silence counts only if nothing at all came from the node
 * since the question was asked: a response, an event or a heartbeat from it says it is there, and
 * busy. A machine that vanished sends nothing, and is out after `probeTimeoutMs` as before. A node
 * taken for gone that is not (its event loop blocked past the timeout) is back with its next
 * heartbeat, which makes the others ask it for its services again.
 */

/** The part of a nats.js connection the probe uses. */
interface NatsLike {
	subscribe(subject: string, options: { callback(err: Error | null, msg: { respond(data?: Uint8Array): boolean }): void }): { unsubscribe(): void };
	request(subject: string, data?: Uint8Array, options?: { timeout: number }): Promise<unknown>;
}

/** Errors of nats.js that say the node is not there: nobody subscribes, or nobody answered. */
const GONE_CODES = new Set(["503", "TIMEOUT"]);

/** A packet as the transit hands it on: who sent it is all the probe reads. */
type Packet = { payload?: { sender?: unknown } } | undefined;

export interface FailoverOptions {
	probeAfterMs: number;
	probeTimeoutMs: number;
}

export function FailoverMiddleware(options: FailoverOptions): Middleware {
	let broker: ServiceBroker;
	let nats: NatsLike | undefined;
	let prefix = "MOL";
	let subscription: { unsubscribe(): void } | undefined;
	/** One question at a time per node. */
	const asking = new Set<string>();
	/** When a packet last came from each node (performance.now()). */
	const lastHeard = new Map<string, number>();

	const aliveSubject = (nodeID: string) => `${prefix}.ALIVE.${nodeID}`;

	async function ask(nodeID: string): Promise<void> {
		if (!nats || asking.has(nodeID)) return;
		asking.add(nodeID);
		const askedAt = performance.now();
		try {
			await nats.request(aliveSubject(nodeID), undefined, { timeout: options.probeTimeoutMs });
		} catch (err) {
			const code = (err as { code?: string }).code;
			// Anything else (this node's own connection closing, say) says nothing about the other.
			if (!code || !GONE_CODES.has(code)) return;
			if (code === "TIMEOUT" && (lastHeard.get(nodeID) ?? -Infinity) >= askedAt) return;
			const node = broker.registry.nodes.get(nodeID);
			if (!node?.available) return;
			broker.logger.warn(
				`Node '${nodeID}' did not answer whether it is there (${code === "503" ? "NATS has no connection of it" : "no answer"}): out of rotation`,
			);
			broker.registry.nodes.disconnected(nodeID, true);
		} finally {
			asking.delete(nodeID);
		}
	}

	return {
		name: "Failover",

		created(created: ServiceBroker) {
			broker = created;
		},

		async started() {
			const transporter = broker.transit?.tx as unknown as { client?: NatsLike; prefix?: string } | undefined;
			// NATS only: without a transporter every service is in this process.
			if (!transporter?.client || typeof transporter.client.subscribe !== "function") return;
			nats = transporter.client;
			prefix = transporter.prefix ?? prefix;
			subscription = nats.subscribe(aliveSubject(broker.nodeID), { callback: (err, msg) => void (!err && msg.respond()) });
		},

		async stopped() {
			subscription?.unsubscribe();
			nats = undefined;
		},

		transitMessageHandler(next: (cmd: string, packet: Packet) => Promise<void>) {
			return (cmd: string, packet: Packet) => {
				const sender = packet?.payload?.sender;
				// A node saying goodbye is heard no more; the map holds only nodes that are around.
				if (typeof sender === "string") {
					if (cmd === "DISCONNECT") lastHeard.delete(sender);
					else lastHeard.set(sender, performance.now());
				}
				return next(cmd, packet);
			};
		},

		remoteAction(next: (ctx: Context) => Promise<unknown>) {
			return (ctx: Context) => {
				const nodeID = ctx.nodeID;
				if (!nats || !nodeID) return next(ctx);
				const timer = setTimeout(() => void ask(nodeID), options.probeAfterMs);
				return next(ctx).finally(() => clearTimeout(timer));
			};
		},
		// Moleculer's typings have transitMessageHandler return a promise; it returns the wrapped handler.
	} as unknown as Middleware;
}
