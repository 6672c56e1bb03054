import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import {
	SERVICE_NAMES,
	infraDir,
	paymentSandboxEnv,
	paymentSandboxHealthy,
	readInfraEnv,
	startNode,
	startPaymentSandbox,
	stopNode,
	type NodeProcess,
	type ServiceName,
	type ShopProcess,
} from "../../scripts/cluster-lib";
import type { Readiness } from "../../lib/health";
import type { Processor } from "../helpers/processor";
import { INFRA_ADMIN } from "./shopper";

/** Nodes one cluster may start: their metrics ports (+51 on) end below the spare ports. */
const MAX_NODES = 44;
const SPARE_PORTS = 5;
/** The payment sandbox's port: `port` + 50, between the last health port (+44) and the first metrics port (+51). */
const SANDBOX_PORT_OFFSET = 50;
/** The secrets every node and the sandbox share, as a deployment gives them all the same two. */
const PROCESSOR_SECRET_KEY = "sk_test_infra_cluster";
const WEBHOOK_SECRET = "whsec_infra_cluster";

/**
 * A multi-process cluster of the shop for one test file, on the servers from `npm run infra:up`,
 * with the card processor sandbox as a process of its own beside the nodes (started with the
 * first node, stopped with the last), as a real processor is a system of its own.
 */
export class TestCluster {
	readonly nodes: NodeProcess[] = [];
	readonly log: string[] = [];
	private readonly observers: ServiceBroker[] = [];
	readonly baseUrl: string;
	/** The card processor's API as the payments nodes call it, and their key: what a test reads the processor's books with. */
	readonly processor: Processor;
	/** The sandbox's process while it runs. */
	sandbox?: ShopProcess;

	private readonly env: Record<string, string>;

	/**
	 * A cluster on the servers of `npm run infra:up`, its admin account the one Shopper signs in
	 * with; `settings` are the test's own environment variables on top, the sandbox's among them
	 * (PAYMENT_SLOW_MS: how long a slow card is processing). See webhooksThrough for a balancer.
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
			// The processor: its books live beside the servers' data (INFRA_DIR), for as long as the
			// payments database does, so a later test's reconciliation finds every intent it asks about.
			...paymentSandboxEnv({
				port: port + SANDBOX_PORT_OFFSET,
				dataDir: path.join(infraDir(), "payment-sandbox"),
				gatewayUrl: `http://127.0.0.1:${port}`,
				publicHost: "127.0.0.1",
			}),
			PAYMENTS_PROCESSOR_SECRET_KEY: PROCESSOR_SECRET_KEY,
			PAYMENTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
			// A refused webhook (a gateway restarting) is sent again within a second or two, not the default's doubling to a minute.
			PAYMENT_SANDBOX_WEBHOOK_RETRY_MS: "250",
			...settings,
		};
		this.baseUrl = `http://127.0.0.1:${port}/api`;
		this.processor = { url: this.env.PAYMENTS_PROCESSOR_URL!, secretKey: this.env.PAYMENTS_PROCESSOR_SECRET_KEY! };
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

	/**
	 * Sends the processor's webhooks to `url` (its /api/webhooks/payments) instead of the first
	 * gateway: to a balancer the test puts in front of several gateways, as a real processor calls
	 * the shop's public endpoint. Before the first node starts, which starts the sandbox.
	 */
	webhooksThrough(url: string): this {
		if (this.sandbox) throw new Error("webhooksThrough() must come before the first node starts: the sandbox reads it at start");
		this.env.PAYMENT_SANDBOX_WEBHOOK_URL = `${url.replace(/\/+$/, "")}/api/webhooks/payments`;
		return this;
	}

	/** The payment sandbox's process, unless it runs already: `node dist/services/payment-sandbox/main.js` with the cluster's environment. */
	startSandbox(): ShopProcess {
		if (this.sandbox && this.sandbox.child.exitCode === null && this.sandbox.child.signalCode === null) return this.sandbox;
		this.sandbox = startPaymentSandbox({
			env: this.env,
			onLine: (line) => {
				this.log.push(line);
				if (process.env.CLUSTER_LOG) console.log(line);
			},
		});
		return this.sandbox;
	}

	/** `env` adds to or overrides the cluster's environment for this node alone. */
	start(service: ServiceName, replica = 1, env: Record<string, string> = {}): NodeProcess {
		if (this.nodes.length >= MAX_NODES) throw new Error(`a test cluster has ports for ${MAX_NODES} nodes`);
		this.startSandbox();
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

	/** Until the gateway reports every service available, every running node says it is ready, and the payment sandbox answers. */
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
				if (this.sandbox && !(await paymentSandboxHealthy(this.processor.url)))
					unready.push(`payment-sandbox: no answer on ${this.processor.url}/healthz`);
				if (res.status !== 200) unready.unshift(`the gateway's /health: ${res.status} ${await res.text()}`);
				if (unready.length === 0) return;
			} catch {
				// Not listening yet.
			}
			if (Date.now() > deadline) {
				// Nodes that have exited (those a test stopped or killed among them), with their last lines: one that died at start is why.
				const exited = [...this.nodes, ...(this.sandbox ? [this.sandbox] : [])].filter(
					(node) => node.child.exitCode !== null || node.child.signalCode !== null,
				);
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

	/** Every node, then the sandbox (a payments node drains its calls to it first); a later start brings it back on the same books. */
	async stopAll(): Promise<void> {
		await Promise.all([...this.nodes.map((node) => stopNode(node)), ...this.observers.splice(0).map((broker) => broker.stop())]);
		if (this.sandbox) await stopNode(this.sandbox);
	}
}
