import { randomUUID } from "node:crypto";
import os from "node:os";
import { ServiceBroker } from "moleculer";
import { SERVICE_NAMES, readInfraEnv, startNode, stopNode, type NodeProcess, type ServiceName } from "../../scripts/cluster-lib";
import type { Readiness } from "../../lib/health";
import { INFRA_ADMIN } from "./shopper";

/** Nodes one cluster may start: their metrics ports (+51 on) end below the spare ports. */
const MAX_NODES = 44;
const SPARE_PORTS = 5;

/** A multi-process cluster of the shop for one test file, on the servers from `npm run infra:up`. */
export class TestCluster {
	readonly nodes: NodeProcess[] = [];
	readonly log: string[] = [];
	private readonly observers: ServiceBroker[] = [];
	readonly baseUrl: string;

	private readonly env: Record<string, string>;

	/**
	 * A cluster on the servers of `npm run infra:up`, its admin account the one Shopper signs in
	 * with; `settings` are the test's own environment variables on top.
	 */
	constructor(
		settings: Record<string, string> = {},
		readonly port = Number(process.env.INFRA_TEST_PORT ?? 3900),
	) {
		this.env = {
			...TestCluster.infraEnv(),
			ADMIN_EMAIL: INFRA_ADMIN.email,
			ADMIN_PASSWORD: INFRA_ADMIN.password,
			AUTH_RATE_LIMIT_PER_MINUTE: "10000",
			// The carrier sandbox keeps labelled parcels where they are for the suite's length: its
			// checks take CONFIRMED as the saga's end (the parcel's later steps: test/e2e/shipping).
			CARRIER_DISPATCH_AFTER_MS: "3600000",
			CARRIER_DELIVER_AFTER_MS: "3600000",
			...settings,
		};
		this.baseUrl = `http://127.0.0.1:${port}/api`;
	}

	static infraEnv(): Record<string, string> {
		const env = { ...readInfraEnv() };
		for (const name of ["NATS_URL", "KAFKA_BROKERS", "MONGO_URI"]) {
			if (process.env[name]) env[name] = process.env[name]!;
			if (!env[name]) throw new Error(`${name} is not set: run \`npm run infra:up\` first`);
		}
		return env;
	}

	/**
	 * A port for a server of the test's own (a second gateway, a proxy) next to the cluster's:
	 * `port` + 95 to + 99, above every node's health and metrics port.
	 */
	sparePort(index: number): number {
		if (index < 0 || index >= SPARE_PORTS) throw new RangeError(`only ${SPARE_PORTS} spare ports, 0 to ${SPARE_PORTS - 1}`);
		return this.port + 100 - SPARE_PORTS + index;
	}

	/** `env` adds to or overrides the cluster's environment for this node alone. */
	start(service: ServiceName, replica = 1, env: Record<string, string> = {}): NodeProcess {
		if (this.nodes.length >= MAX_NODES) throw new Error(`a test cluster has ports for ${MAX_NODES} nodes`);
		const node = startNode(service, replica, {
			// Ports of their own next to the gateway's, one per node ever started, so a restarted node never waits for its predecessor's port.
			healthPort: this.port + 1 + this.nodes.length,
			metricsPort: this.port + 51 + this.nodes.length,
			env: { ...this.env, PORT: String(this.port), LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? "info", ...env },
			onLine: (line) => {
				this.log.push(line);
				if (process.env.CLUSTER_LOG) console.log(line);
			},
		});
		this.nodes.push(node);
		return node;
	}

	async startAll(scale: Partial<Record<ServiceName, number>> = {}, envOf: Partial<Record<ServiceName, Record<string, string>>> = {}): Promise<void> {
		for (const service of SERVICE_NAMES) for (let replica = 1; replica <= (scale[service] ?? 1); replica++) this.start(service, replica, envOf[service]);
		await this.waitHealthy();
	}

	/** What a node's /readyz answers: its status and checks, or `null` while nothing listens. */
	async readiness(node: NodeProcess): Promise<{ status: number; body: Readiness } | null> {
		try {
			const res = await fetch(`http://127.0.0.1:${node.healthPort}/readyz`);
			return { status: res.status, body: (await res.json()) as Readiness };
		} catch {
			return null;
		}
	}

	/**
	 * What to read when events stopped flowing: each running node's liveness and readiness, and
	 * the cluster's last log lines about Kafka (consumers given up, rebalances, coordinators).
	 */
	async eventFlowReport(lines = 60): Promise<string> {
		const probes = await Promise.all(
			this.alive().map(async (node) => {
				const live = await fetch(`http://127.0.0.1:${node.healthPort}/livez`).then(
					async (res) => `${res.status} ${await res.text()}`,
					(err: Error) => err.message,
				);
				return `${node.label}: livez ${live}; readyz ${JSON.stringify(await this.readiness(node))}`;
			}),
		);
		const kafka = this.log.filter((line) => /kafka|consumer|rebalanc|coordinator|crash/i.test(line)).slice(-lines);
		return [...probes, "--- the last log lines about Kafka:", ...kafka].join("\n");
	}

	/** Until the gateway reports every service available and every running node says it is ready. */
	async waitHealthy(timeoutMs = 90_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		let unready: string[] = ["the gateway"];
		for (;;) {
			try {
				const res = await fetch(`${this.baseUrl}/health`);
				const running = this.alive();
				const readiness = await Promise.all(running.map((node) => this.readiness(node)));
				// Which nodes are not ready, and what their /readyz says, for the error below.
				unready = running.flatMap((node, i) =>
					readiness[i]?.status === 200 ? [] : [`${node.label}: ${readiness[i] ? JSON.stringify(readiness[i]!.body) : "not listening"}`],
				);
				if (res.status !== 200) unready.unshift(`the gateway's /health: ${res.status} ${await res.text()}`);
				if (unready.length === 0) return;
			} catch {
				// Not listening yet.
			}
			if (Date.now() > deadline) {
				// Nodes that have exited (those a test stopped or killed among them), with their last lines: one that died at start is why.
				const exited = this.nodes.filter((node) => node.child.exitCode !== null || node.child.signalCode !== null);
				const lastWords = exited.map(
					(node) =>
						`${node.label} exited (${node.child.exitCode ?? node.child.signalCode}):\n${this.log
							.filter((line) => line.startsWith(`[${node.label}]`))
							.slice(-5)
							.join("\n")}`,
				);
				throw new Error(
					`cluster not healthy in ${timeoutMs} ms; not ready: ${unready.join("; ")}\n${lastWords.join("\n")}\n${this.log.slice(-40).join("\n")}`,
				);
			}
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	/** One more node on the cluster's NATS, running no services: calls actions as the REPL does. */
	async attach(waitFor: ServiceName[] = []): Promise<ServiceBroker> {
		const broker = new ServiceBroker({
			namespace: "shop",
			nodeID: `infra-test-${randomUUID().slice(0, 8)}`,
			transporter: { type: "NATS", options: { url: this.env.NATS_URL } },
			logger: false,
			requestTimeout: 60_000,
		});
		await broker.start();
		await broker.waitForServices(waitFor, 60_000);
		this.observers.push(broker);
		return broker;
	}

	/** Until the node answers 200 on /readyz and `observer`, a node of the cluster as its callers are, lists its service as available. */
	async waitReady(node: NodeProcess, observer: ServiceBroker, timeoutMs = 60_000): Promise<void> {
		const nodeID = `${os.hostname().toLowerCase()}-${node.child.pid}`;
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const known = observer.registry
				.getServiceList({ onlyAvailable: true })
				.some((service) => service.nodeID === nodeID && service.name === node.service);
			if (known && (await this.readiness(node))?.status === 200) return;
			if (Date.now() > deadline) throw new Error(`${node.label} not ready in ${timeoutMs} ms:\n${this.log.slice(-40).join("\n")}`);
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
	}

	running(service: ServiceName): NodeProcess[] {
		return this.alive().filter((node) => node.service === service);
	}

	/** The nodes whose process has not exited. */
	private alive(): NodeProcess[] {
		return this.nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
	}

	async stop(node: NodeProcess): Promise<void> {
		await stopNode(node);
	}

	/** No graceful shutdown: the process is gone at once, as when a machine dies. */
	async kill(node: NodeProcess): Promise<void> {
		node.child.kill("SIGKILL");
		await node.exited;
	}

	async stopAll(): Promise<void> {
		await Promise.all([...this.nodes.map((node) => stopNode(node)), ...this.observers.splice(0).map((broker) => broker.stop())]);
	}
}
