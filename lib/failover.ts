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
 * flight to it with a retryable error, which the retry policy sends to another replica. A node
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

	const aliveSubject = (nodeID: string) => `${prefix}.ALIVE.${nodeID}`;

	async function ask(nodeID: string): Promise<void> {
		if (!nats || asking.has(nodeID)) return;
		asking.add(nodeID);
		try {
			await nats.request(aliveSubject(nodeID), undefined, { timeout: options.probeTimeoutMs });
		} catch (err) {
			const code = (err as { code?: string }).code;
			// Anything else (this node's own connection closing, say) says nothing about the other.
			if (!code || !GONE_CODES.has(code)) return;
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

		remoteAction(next: (ctx: Context) => Promise<unknown>) {
			return (ctx: Context) => {
				const nodeID = ctx.nodeID;
				if (!nats || !nodeID) return next(ctx);
				const timer = setTimeout(() => void ask(nodeID), options.probeAfterMs);
				return next(ctx).finally(() => clearTimeout(timer));
			};
		},
	};
}
