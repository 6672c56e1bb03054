import http from "node:http";
import type { Middleware, ServiceBroker } from "moleculer";
import { ioCounts } from "./io-counts";

/*
 * Liveness and readiness of one node, on a small HTTP server of its own, so an orchestrator can
 * probe every node and not only the gateway:
 *   GET /livez   200 while the process can answer and no part of it has given up for good
 *                (restart it when this fails);
 *   GET /readyz  200 once the broker has started and every registered check passes, 503 while
 *                starting, while stopping and while a dependency is down (send it no work).
 *   GET /io-counts  what this process has asked of its stores and of Kafka since it started
 *                (lib/io-counts.ts): the bench's round trips per order, an operator's look.
 * Mixins register the checks of what they connect to (database, Kafka); the middleware
 * registers the transporter's.
 */

/** Resolves when the dependency answers; rejects (or times out) when it does not. */
export type HealthCheck = () => Promise<unknown>;

export interface CheckResult {
	ok: boolean;
	error?: string;
}

export interface Readiness {
	ready: boolean;
	phase: Phase;
	nodeID: string;
	checks: Record<string, CheckResult>;
}

type Phase = "starting" | "running" | "stopping";

/** A check that has not answered within this time counts as failed: probes must stay quick. */
const CHECK_TIMEOUT_MS = 2000;

/**
 * Readiness checks are about what the node depends on (a database that is down: send no work);
 * liveness checks about the node itself (a consumer that gave up for good: restart the node).
 */
export type CheckKind = "readiness" | "liveness";

export class HealthChecks {
	private readonly checks: Record<CheckKind, Map<string, HealthCheck>> = { readiness: new Map(), liveness: new Map() };

	/** Returns the function that removes the check again (a service that stops takes it away). */
	register(name: string, check: HealthCheck, kind: CheckKind = "readiness"): () => void {
		const checks = this.checks[kind];
		checks.set(name, check);
		return () => {
			if (checks.get(name) === check) checks.delete(name);
		};
	}

	/** A node that is not alive is not ready either, so readiness runs both kinds. */
	async run(kind: CheckKind): Promise<Record<string, CheckResult>> {
		const checks = kind === "liveness" ? [...this.checks.liveness] : [...this.checks.readiness, ...this.checks.liveness];
		const entries = await Promise.all(
			checks.map(async ([name, check]): Promise<[string, CheckResult]> => {
				try {
					await withTimeout(check(), CHECK_TIMEOUT_MS, `no answer within ${CHECK_TIMEOUT_MS} ms`);
					return [name, { ok: true }];
				} catch (err) {
					return [name, { ok: false, error: err instanceof Error ? err.message : String(err) }];
				}
			}),
		);
		return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
	}
}

const checksByBroker = new WeakMap<ServiceBroker, HealthChecks>();

export function healthChecksOf(broker: ServiceBroker): HealthChecks {
	let checks = checksByBroker.get(broker);
	if (!checks) {
		checks = new HealthChecks();
		checksByBroker.set(broker, checks);
	}
	return checks;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(message)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface TransitLike {
	connected: boolean;
	tx: { connected: boolean; client?: { flush?: () => Promise<void>; isClosed?: () => boolean } };
}

/**
 * Moleculer's NATS transporter only notices a lost connection when the client gives up for good,
 * so ask the server: a flush is a PING answered by a PONG, and it waits while the client reconnects.
 */
async function transporterCheck(transit: TransitLike): Promise<void> {
	if (!transit.connected || !transit.tx.connected) throw new Error("not connected");
	const client = transit.tx.client;
	if (client?.isClosed?.()) throw new Error("connection closed");
	if (client?.flush) await client.flush();
}

export class HealthServer {
	private phase: Phase = "starting";
	private server?: http.Server;

	constructor(
		private readonly broker: ServiceBroker,
		private readonly port: number,
	) {}

	async listen(): Promise<number> {
		const server = http.createServer((req, res) => void this.answer(req, res));
		// Probes open a connection each time; never hold one open past the node's shutdown.
		server.keepAliveTimeout = 1000;
		this.server = server;
		await new Promise<void>((resolve, reject) => {
			server.once("error", reject);
			server.listen(this.port, () => {
				server.off("error", reject);
				resolve();
			});
		});
		return (server.address() as { port: number }).port;
	}

	markRunning(): void {
		this.phase = "running";
	}

	markStopping(): void {
		this.phase = "stopping";
	}

	async close(): Promise<void> {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		await new Promise<void>((resolve) => server.close(() => resolve()));
	}

	async readiness(): Promise<Readiness> {
		const checks = await healthChecksOf(this.broker).run("readiness");
		// The broker clears `started` as the first step of stopping, before the middleware hook runs.
		const phase: Phase = this.phase === "running" && !this.broker.started ? "stopping" : this.phase;
		const ready = phase === "running" && Object.values(checks).every((check) => check.ok);
		return { ready, phase, nodeID: this.broker.nodeID, checks };
	}

	private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const path = (req.url ?? "/").split("?")[0];
		if (req.method !== "GET" && req.method !== "HEAD") return this.send(res, 405, { error: "Only GET and HEAD" });
		if (path === "/livez") {
			const checks = await healthChecksOf(this.broker).run("liveness");
			const alive = Object.values(checks).every((check) => check.ok);
			return this.send(res, alive ? 200 : 503, { alive, nodeID: this.broker.nodeID, phase: this.phase, checks });
		}
		if (path === "/readyz") {
			const readiness = await this.readiness();
			return this.send(res, readiness.ready ? 200 : 503, readiness);
		}
		if (path === "/io-counts") return this.send(res, 200, ioCounts.snapshot());
		return this.send(res, 404, { error: "Try /livez, /readyz or /io-counts" });
	}

	private send(res: http.ServerResponse, status: number, body: unknown): void {
		const json = JSON.stringify(body);
		res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(json), "Cache-Control": "no-store" });
		res.end(json);
	}
}

/**
 * Starts the health server when the broker is created, so liveness answers during a slow start
 * and readiness says "starting" rather than refusing the connection.
 */
export function HealthMiddleware(port: number): Middleware {
	let server: HealthServer | undefined;
	let listening: Promise<unknown> | undefined;
	return {
		name: "Health",
		created(broker: ServiceBroker) {
			const transit = (broker as unknown as { transit?: TransitLike }).transit;
			if (transit) healthChecksOf(broker).register("transporter", () => transporterCheck(transit));
			server = new HealthServer(broker, port);
			listening = server.listen().then(
				(bound) => broker.logger.info(`Health checks on http://0.0.0.0:${bound}/livez and /readyz`),
				(err: Error) => {
					// A node that cannot be probed would be restarted in a loop by its orchestrator; say why and stop.
					broker.logger.fatal(`Health server could not listen on port ${port}: ${err.message}`);
					broker.fatal(`Health server could not listen on port ${port}`, err);
				},
			);
		},
		async started() {
			await listening;
			server?.markRunning();
		},
		async stopping() {
			server?.markStopping();
		},
		async stopped() {
			await server?.close();
		},
	};
}
