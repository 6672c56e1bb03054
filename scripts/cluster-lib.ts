import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { SHOP_SERVICES, type ShopServiceName } from "../contracts";

/*
 * Starts the shop's services as separate node processes, exactly as containers would run them:
 * moleculer-runner with SERVICES=<name>, talking over NATS, Kafka and MongoDB. Used by
 * `npm run cluster` and by the infrastructure tests, which stop and kill single nodes; beside
 * them the card processor sandbox as a process of its own (startPaymentSandbox). Also starts the
 * whole shop as one process (startEmbedded), as `npm start` runs it, sandbox included, for the
 * bench and the fuzzer.
 */

export const SERVICE_NAMES = SHOP_SERVICES;
export type ServiceName = ShopServiceName;

/**
 * Each replica's CPU budget, in cores, as a Kubernetes pod's CPU limit gives it: the same figures
 * are compose's `cpus:` and the k8s manifests' CPU requests and limits (`npm run check:deploy`
 * holds them to these), and the bench's cluster mode caps its nodes at them (scripts/bench/cgroup.ts).
 * Sized from the CPU each service spends on an order (docs/cluster.md, Scaling) so that one orders replica,
 * the busiest, is what limits the checkout on a two-core machine, and each of the others has room
 * for three times that rate.
 */
export const CPU_BUDGETS: Record<ServiceName, number> = {
	api: 0.5,
	catalogue: 0.5,
	customers: 0.25,
	carts: 0.25,
	orders: 0.1,
	payments: 0.5,
	shipping: 0.25,
	notifications: 0.25,
};

/** The project root, whether this runs from scripts/ (ts-jest) or dist/scripts/ (compiled). */
function projectRoot(from: string): string {
	for (let dir = from; ; dir = path.dirname(dir)) {
		if (fs.existsSync(path.join(dir, "package.json"))) return dir;
		if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}`);
	}
}

export const ROOT = projectRoot(__dirname);
export const RUNNER = path.join(ROOT, "node_modules", "moleculer", "bin", "moleculer-runner.js");
export const BROKER_CONFIG = path.join(ROOT, "dist", "moleculer.config.js");

/** The Node options of every shop process this spawns, as scripts/node-options.sh gives them to npm's (see there why). */
export function shopNodeOptions(): string {
	const options = ["--disable-warning=DEP0174"];
	if (process.allowedNodeEnvironmentFlags.has("--experimental-async-context-frame")) options.push("--experimental-async-context-frame");
	return options.join(" ");
}

/** What the scripts and tests use of the MongoDB driver that moleculer-db-adapter-mongo brings. */
export interface MongoClientLike {
	db(name: string): {
		dropDatabase(): Promise<unknown>;
		collection<T>(name: string): {
			find(query: object): { toArray(): Promise<T[]> };
			insertMany(docs: T[], options?: { ordered?: boolean }): Promise<unknown>;
		};
		listCollections(): { toArray(): Promise<{ name: string }[]> };
	};
}

/** Connects to the server, hands the client to `use`, and closes it whatever happens. */
export async function withMongo<T>(uri: string, use: (client: MongoClientLike) => Promise<T>): Promise<T> {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { MongoClient } = require("mongodb") as {
		MongoClient: new (uri: string, options: object) => MongoClientLike & { connect(): Promise<unknown>; close(): Promise<void> };
	};
	const client = new MongoClient(uri, { useUnifiedTopology: true, serverSelectionTimeoutMS: 5000 });
	await client.connect();
	try {
		return await use(client);
	} finally {
		await client.close();
	}
}

/** Where `npm run infra:up` keeps its servers' state: INFRA_DIR, or .infra/. */
export function infraDir(): string {
	return process.env.INFRA_DIR ?? path.join(ROOT, ".infra");
}

/** The pid of a server `npm run infra:up` started (nats, kafka, mongo); undefined for one it did not. */
export function infraServerPid(name: string): number | undefined {
	try {
		return Number(fs.readFileSync(path.join(infraDir(), `${name}.pid`), "utf8").trim()) || undefined;
	} catch {
		return undefined;
	}
}

/** Reads `export NAME=value` lines written by `npm run infra:up`. */
export function readInfraEnv(file = path.join(infraDir(), "env")): Record<string, string> {
	if (!fs.existsSync(file)) return {};
	const env: Record<string, string> = {};
	for (const line of fs.readFileSync(file, "utf8").split("\n")) {
		const match = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
		if (match) env[match[1]!] = match[2]!.replace(/^["']|["']$/g, "");
	}
	return env;
}

/** A shop process this started: one service (startNode) or all of them (startEmbedded). */
export interface ShopProcess {
	label: string;
	child: ChildProcess;
	exited: Promise<number | null>;
}

export interface NodeProcess extends ShopProcess {
	service: ServiceName;
	replica: number;
	/** Where the node answers /livez and /readyz, when it was given a port. */
	healthPort?: number;
	/** Where the node serves Prometheus's /metrics, when it was given a port. */
	metricsPort?: number;
}

export interface StartNodeOptions {
	env: Record<string, string | undefined>;
	healthPort?: number;
	metricsPort?: number;
	/** Each output line, already prefixed with the node's label. */
	onLine?: (line: string) => void;
}

function spawnShop(label: string, args: string[], env: Record<string, string | undefined>, onLine?: (line: string) => void): ShopProcess {
	const child = spawn(process.execPath, [RUNNER, "--config", BROKER_CONFIG, ...args], {
		cwd: ROOT,
		// The caller's own NODE_OPTIONS (e.g. the bench's --cpu-prof) add to the shop's; the parent's never reach it.
		env: { ...process.env, ...env, NODE_OPTIONS: [shopNodeOptions(), env.NODE_OPTIONS].filter(Boolean).join(" ") },
		stdio: ["ignore", "pipe", "pipe"],
	});
	for (const stream of [child.stdout!, child.stderr!]) {
		readline.createInterface({ input: stream }).on("line", (line) => onLine?.(`[${label}] ${line}`));
	}
	const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
	return { label, child, exited };
}

export function startNode(service: ServiceName, replica: number, options: StartNodeOptions): NodeProcess {
	const env = {
		...options.env,
		...(options.healthPort ? { HEALTH_PORT: String(options.healthPort) } : {}),
		...(options.metricsPort ? { METRICS_PORT: String(options.metricsPort) } : {}),
		SERVICEDIR: path.join(ROOT, "dist", "services"),
		SERVICES: service,
	};
	const node = spawnShop(`${service}#${replica}`, [], env, options.onLine);
	return { ...node, service, replica, healthPort: options.healthPort, metricsPort: options.metricsPort };
}

/** Every service in one process with no transporter, as `npm start` runs the shop (from dist/: build first). */
export function startEmbedded(options: { env: Record<string, string | undefined>; onLine?: (line: string) => void; withoutSandbox?: boolean }): ShopProcess {
	// Without the sandbox: the shop's own services' folders alone, for a sandbox run as its own process (the bench measures each apart).
	const folders = options.withoutSandbox ? SERVICE_NAMES.map((name) => path.join(ROOT, "dist", "services", name)) : [path.join(ROOT, "dist", "services")];
	return spawnShop("shop", folders, options.env, options.onLine);
}

/**
 * The card processor sandbox as its own program (services/payment-sandbox/main.ts): what a
 * cluster runs beside the shop's nodes, as a real processor is a system of its own. It is no
 * Moleculer node: a node started with SERVICES=<name> never loads payment-sandbox.service.js
 * (moleculer-runner reads dist/services/<name>/ alone); only the embedded shop does.
 */
export const PAYMENT_SANDBOX_MAIN = path.join(ROOT, "dist", "services", "payment-sandbox", "main.js");

export interface PaymentSandboxWiring {
	/** The port it listens on (on HOST, 127.0.0.1 unless set). */
	port: number;
	/** Its books (PAYMENT_SANDBOX_DATA_DIR). */
	dataDir: string;
	/**
	 * The shop's front door its webhooks go to (`<url>/api/webhooks/payments`): the gateway, or
	 * whatever balances over the gateways, as a real processor calls the public endpoint.
	 */
	gatewayUrl: string;
	/** Where a browser on this machine opens the shop (the 3-D Secure page sends it back there); gatewayUrl by default. */
	storefrontUrl?: string;
	/** The host in the links a browser follows to the sandbox; "localhost" by default. */
	publicHost?: string;
}

/**
 * The variables that wire the payments nodes and the sandbox together (lib/env.ts). Every process
 * of a cluster may get all of them: payments reads PAYMENTS_*, the sandbox PAYMENT_SANDBOX_*.
 * Both must also see the same PAYMENTS_PROCESSOR_SECRET_KEY and PAYMENTS_WEBHOOK_SECRET.
 */
export function paymentSandboxEnv(wiring: PaymentSandboxWiring): Record<string, string> {
	const gateway = wiring.gatewayUrl.replace(/\/+$/, "");
	return {
		PAYMENT_SANDBOX_PORT: String(wiring.port),
		PAYMENT_SANDBOX_DATA_DIR: wiring.dataDir,
		PAYMENT_SANDBOX_WEBHOOK_URL: `${gateway}/api/webhooks/payments`,
		PAYMENT_SANDBOX_PUBLIC_URL: `http://${wiring.publicHost ?? "localhost"}:${wiring.port}`,
		PAYMENTS_PROCESSOR_URL: `http://127.0.0.1:${wiring.port}`,
		PAYMENTS_RETURN_URL: `${(wiring.storefrontUrl ?? gateway).replace(/\/+$/, "")}/orders/{orderId}`,
	};
}

/** The sandbox as its own process, with the cluster's environment (built first: it runs from dist/). */
export function startPaymentSandbox(options: { env: Record<string, string | undefined>; onLine?: (line: string) => void }): ShopProcess {
	const label = "payment-sandbox";
	const child = spawn(process.execPath, [PAYMENT_SANDBOX_MAIN], {
		cwd: ROOT,
		env: { ...process.env, ...options.env, NODE_OPTIONS: [shopNodeOptions(), options.env.NODE_OPTIONS].filter(Boolean).join(" ") },
		stdio: ["ignore", "pipe", "pipe"],
	});
	for (const stream of [child.stdout!, child.stderr!]) {
		readline.createInterface({ input: stream }).on("line", (line) => options.onLine?.(`[${label}] ${line}`));
	}
	const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
	return { label, child, exited };
}

/** Whether the sandbox at `url` (its API's base, e.g. PAYMENTS_PROCESSOR_URL) answers its /healthz. */
export async function paymentSandboxHealthy(url: string): Promise<boolean> {
	try {
		const res = await fetch(`${url.replace(/\/+$/, "")}/healthz`, { signal: AbortSignal.timeout(2000) });
		return res.status === 200 && ((await res.json()) as { ok?: boolean }).ok === true;
	} catch {
		return false;
	}
}

/** SIGTERM, then SIGKILL if the node has not finished its graceful shutdown in time. */
export async function stopNode(node: ShopProcess, graceMs = 20_000): Promise<void> {
	if (node.child.exitCode !== null || node.child.signalCode !== null) return;
	node.child.kill("SIGTERM");
	const timer = setTimeout(() => node.child.kill("SIGKILL"), graceMs);
	await node.exited;
	clearTimeout(timer);
}

/** Polls `check` until it holds; a check that throws counts as not yet. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (await check().catch(() => false)) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`${what} not ready in ${timeoutMs} ms`);
}

/** A JSON request; the body is null when the response has none that parses. */
export async function json<T = Record<string, unknown>>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
	const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init.headers ?? {}) } });
	return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

/**
 * A port on 127.0.0.1 that nothing listens on now, below 32768: the kernel's own picks (port 0)
 * come from the ephemeral range above it, where outgoing connections take theirs.
 */
export async function freePort(from = 20_000, to = 32_767): Promise<number> {
	for (let attempt = 0; attempt < 50; attempt++) {
		const port = from + Math.floor(Math.random() * (to - from + 1));
		const free = await new Promise<boolean>((resolve) => {
			const server = net.createServer().once("error", () => resolve(false));
			server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
		});
		if (free) return port;
	}
	throw new Error(`No free port between ${from} and ${to}`);
}

export function parseScale(args: string[]): Record<ServiceName, number> {
	const scale = Object.fromEntries(SERVICE_NAMES.map((name) => [name, 1])) as Record<ServiceName, number>;
	for (let i = 0; i < args.length; i++) {
		const arg = args[i]!;
		const value = arg === "--scale" ? args[++i] : arg.startsWith("--scale=") ? arg.slice("--scale=".length) : undefined;
		if (value === undefined) throw new Error(`Unknown argument ${arg}; use --scale <service>=<replicas>`);
		const match = /^([a-z]+)=(\d+)$/.exec(value);
		if (!match || !(SERVICE_NAMES as readonly string[]).includes(match[1]!) || Number(match[2]) < 1 || Number(match[2]) > 16) {
			throw new Error(`--scale takes <service>=<1..16> with a service of ${SERVICE_NAMES.join(", ")} (got "${value}")`);
		}
		scale[match[1] as ServiceName] = Number(match[2]);
	}
	return scale;
}
