import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
	CPU_BUDGETS,
	ROOT,
	SERVICE_NAMES,
	type ServiceName,
	infraServerPid,
	json,
	paymentSandboxEnv,
	paymentSandboxHealthy,
	readInfraEnv,
	startEmbedded,
	startNode,
	startPaymentSandbox,
	stopNode,
	waitUntil,
	withMongo,
	type NodeProcess,
	type ShopProcess,
} from "../cluster-lib";
import { createRun, deleteRun, type KafkaRun } from "./kafka-baseline";
import type { LoadRequest, LoadResult } from "./load";
import { judge, percentile, summarize, table, type Sample, type Target } from "./report";
import { sagaStages, stagesTable, type PlacedOrder } from "./stages";
import { cpuMeter, machineMeter, monotonicUs, topFrames, type CpuPerOrder } from "./cpu";
import { ioPerOrder, ioTable, readCounts, type IoPerOrder } from "./io";
import { runScaling, scalingRequest } from "./scaling";
import { cpuBudgets, throttlingBetween, type CpuBudgets, type Throttling } from "./cgroup";
import { SEED_ORDERS, copiesFor, placeSeedOrders, preloadMongo, preloadNedb } from "./preload";

/*
 * `npm run bench [-- --mode cluster --rounds 5 --seconds 10]`: the shop's HTTP API under load,
 * side by side with the machine's own limits, in one run. Every target is loaded the same way
 * (autocannon, same connections and duration) in interleaved rounds (A B C A B C ...), and the
 * medians are compared, because a shared machine is noisy. Results go to bench/results/.
 * Checkout also reports each saga step's latency and each shop process's CPU per order;
 * `--profile` runs the checkout alone (`--only checkout`) with every shop process under V8's profiler and prints
 * each one's heaviest frames (the profiles stay in bench/results/ for DevTools). In cluster
 * mode `--scale orders=2` (repeatable; any service but the gateway) runs replicas of a service.
 * `--preload 20000` fills the stores with that many orders' worth of documents before the
 * checkout (preload.ts), to compare with a run on empty stores.
 * In cluster mode every node runs on its service's CPU budget (CPU_BUDGETS, in a cgroup of its
 * own: cgroup.ts), as its container would; `--no-cpu-budgets` runs them uncapped.
 * `--scaling orders=1,2,3` measures the checkout at each replica count and draws it (scaling.ts).
 *
 * `--only 'http->nats,http->kafka'` measures only the targets named (comma-separated, `->` for
 * `→`): bare http, http→nats, http→kafka (both cluster mode only), browse, browse-auth, browse
 * (cached), browse-auth (cached), checkout. A phase none of whose targets is named is skipped;
 * when only baselines are named, the shop still starts once, for the JSON they answer with.
 */

interface Options {
	mode: "embedded" | "cluster";
	rounds: number;
	seconds: number;
	connections: number;
	checkoutSeconds: number;
	checkoutWorkers: number;
	warmupSeconds: number;
	/** Unmeasured checkout before the measured one: the shop's and the JVM servers' JIT warm up. */
	checkoutWarmupSeconds: number;
	/** Checkout alone, each shop process under V8's sampling profiler (--cpu-prof). */
	profile: boolean;
	/** Cluster mode: replicas per service (`--scale orders=2`, repeatable); one of each otherwise. */
	scale: Partial<Record<ServiceName, number>>;
	/** The targets to measure; all when unset. */
	only?: Set<string>;
	/** Orders' worth of documents in the stores before the checkout (`--preload 20000`); none when unset. */
	preload?: number;
	/** Cluster mode: each node capped at its service's CPU_BUDGETS share (`--no-cpu-budgets` turns it off). */
	cpuBudgets: boolean;
}

const BASELINES = ["bare http", "http→nats", "http→kafka"];
/** Baselines that need the cluster's servers. */
const CLUSTER_BASELINES = ["http→nats", "http→kafka"];

function targetsOf(phase: Phase): string[] {
	return [`browse${phase.suffix}`, `browse-auth${phase.suffix}`, ...(phase.checkout ? ["checkout"] : [])];
}

function parseOptions(argv: string[]): Options {
	const options: Options = {
		mode: "embedded",
		rounds: 3,
		seconds: 5,
		connections: 32,
		checkoutSeconds: 10,
		checkoutWorkers: 16,
		warmupSeconds: 3,
		checkoutWarmupSeconds: 10,
		profile: false,
		scale: {},
		cpuBudgets: true,
	};
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === "--profile") {
			options.profile = true;
			continue;
		}
		if (argv[i] === "--no-cpu-budgets") {
			options.cpuBudgets = false;
			continue;
		}
		const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
		const value = inline ?? argv[++i];
		const number = Number(value);
		switch (flag) {
			case "--mode":
				if (value !== "embedded" && value !== "cluster") throw new Error(`--mode is embedded or cluster (got ${value})`);
				options.mode = value;
				break;
			case "--rounds":
			case "--seconds":
			case "--connections":
			case "--checkout-seconds":
			case "--checkout-workers":
			case "--warmup-seconds":
			case "--checkout-warmup-seconds": {
				if (!Number.isInteger(number) || number < 1 || number > 10_000) throw new Error(`${flag} takes a whole number from 1 (got ${value})`);
				const key = flag.slice(2).replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof Options;
				(options as unknown as Record<string, number>)[key] = number;
				break;
			}
			case "--preload":
				if (!Number.isInteger(number) || number < SEED_ORDERS || number > 1_000_000) {
					throw new Error(`--preload takes a number of orders from ${SEED_ORDERS} to 1000000 (got ${value})`);
				}
				options.preload = number;
				break;
			case "--scale": {
				const [service, replicas] = (value ?? "").split("=");
				// Every gateway would want the bench's one port.
				if (!SERVICE_NAMES.includes(service as ServiceName) || service === "api" || !/^[1-8]$/.test(replicas ?? "")) {
					throw new Error(`--scale takes <service>=<1..8> for a service other than api (got ${value})`);
				}
				options.scale[service as ServiceName] = Number(replicas);
				break;
			}
			case "--only": {
				const known = [...BASELINES, ...PHASES.flatMap(targetsOf)];
				const names = (value ?? "")
					.split(",")
					.map((name) => name.trim().replace("->", "→"))
					.filter(Boolean);
				const unknown = names.filter((name) => !known.includes(name));
				if (names.length === 0 || unknown.length > 0) throw new Error(`--only takes target names from ${known.join(", ")} (got ${value})`);
				options.only = new Set(names);
				break;
			}
			default:
				throw new Error(`Unknown option ${flag}; see scripts/bench/bench.ts`);
		}
	}
	if (options.mode === "embedded" && Object.keys(options.scale).length > 0) throw new Error("--scale needs --mode cluster: the embedded shop is one process");
	// A profile is of the checkout alone.
	if (options.profile) options.only = new Set(["checkout"]);
	const clusterOnly = CLUSTER_BASELINES.filter((name) => options.only?.has(name));
	if (options.mode === "embedded" && clusterOnly.length > 0) throw new Error(`--mode cluster is needed for ${clusterOnly.join(" and ")}`);
	return options;
}

const PORT = Number(process.env.BENCH_PORT ?? 3700);
/** The shop's API, as the bench's customers call it. */
const BASE = `http://127.0.0.1:${PORT}/api`;
const ADMIN = { email: "bench-admin@shop.local", password: "bench-admin-password" };
const address = { name: "Bench Buyer", line1: "1 Load Street", city: "Testville", postalCode: "12345", country: "DE" };

/** One line that rewrites itself on a terminal; elsewhere (CI logs) only each new phase. */
let lastPhase = "";
function progress(message: string): void {
	if (process.stderr.isTTY) {
		process.stderr.write(`\r\x1b[2K${message}`);
		return;
	}
	const phase = message.split(":")[0]!;
	if (message && phase !== lastPhase) process.stderr.write(`${message}\n`);
	lastPhase = phase;
}

/** A process of the bench, with the pid whose peak RSS is reported. */
interface Proc {
	label: string;
	child: ChildProcess;
}

function peakRssMb(pid: number | undefined): number | undefined {
	if (!pid) return undefined;
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
		const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
		return kb ? Math.round(Number(kb) / 1024) : undefined;
	} catch {
		return undefined;
	}
}

/** A baseline process, ready; stopped like a shop node (the Kafka ones leave their groups first). */
function startBaseline(label: string, args: string[]): Promise<ShopProcess> {
	const child = fork(path.join(__dirname, "baseline.js"), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
	return new Promise((resolve, reject) => {
		child.once("message", () => resolve({ label, child, exited }));
		child.once("exit", (code) => reject(new Error(`${label} exited with ${code}`)));
	});
}

interface StartedShop {
	procs: Proc[];
	healthPorts: number[];
	/** Cluster mode: the prefix of the services' databases. */
	dbPrefix?: string;
	/** Stops every process; `keepData` leaves the cluster's databases (dropped otherwise). */
	stop(keepData?: boolean): Promise<void>;
}

/** Each shop process answers its store and Kafka counts on a health port of its own, from here up. */
const HEALTH_PORTS_FROM = PORT + 10;
/** The card processor sandbox: in the embedded shop's process, or a process of its own beside the cluster's nodes. */
const SANDBOX_PORT = PORT + 4;

async function startShop(options: Options, dataDir: string, phase: Phase, budgets: CpuBudgets | undefined, profileDir?: string): Promise<StartedShop> {
	// Its books beside the shop's data, not in it: the preload copies every NeDB file under DATA_DIR.
	const processor = paymentSandboxEnv({ port: SANDBOX_PORT, dataDir: `${dataDir}-payment-sandbox`, gatewayUrl: `http://127.0.0.1:${PORT}` });
	const env = {
		...phase.env,
		// Written when the process exits, one file per process.
		...(profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}),
		NODE_ENV: "production",
		JWT_SECRET: randomUUID() + randomUUID(),
		// Required in production too: the payments nodes, the gateway and the sandbox share them.
		PAYMENTS_PROCESSOR_SECRET_KEY: `sk_test_${randomUUID()}`,
		PAYMENTS_WEBHOOK_SECRET: `whsec_${randomUUID()}`,
		ADMIN_EMAIL: ADMIN.email,
		ADMIN_PASSWORD: ADMIN.password,
		LOG_LEVEL: "warn",
		LOG_FORMAT: "json",
		AUTH_RATE_LIMIT_PER_MINUTE: "100000",
		PORT: String(PORT),
		...processor,
	};
	// The processor as a system of its own, as every cluster runs it: its CPU per order is reported
	// beside the shop's, in embedded mode too (the shop's process then runs its eight services alone).
	const sandbox = startPaymentSandbox({
		env: { ...env, DATA_DIR: dataDir },
		onLine: (line) => {
			if (!/ INFO payment-sandbox: /.test(line)) process.stderr.write(`${line}\n`);
		},
	});
	await waitUntil("the payment sandbox", () => paymentSandboxHealthy(processor.PAYMENTS_PROCESSOR_URL!), 30_000).catch(async (err: unknown) => {
		await stopNode(sandbox);
		throw err;
	});
	if (options.mode === "embedded") {
		// At LOG_LEVEL=warn the shop writes only warnings and errors; they belong with the bench's own.
		const shop = startEmbedded({
			env: { ...env, DATA_DIR: dataDir, HEALTH_PORT: String(HEALTH_PORTS_FROM) },
			onLine: (line) => process.stderr.write(`${line}\n`),
			withoutSandbox: true,
		});
		return {
			procs: [
				{ label: `shop (embedded) [${phase.name}]`, child: shop.child },
				{ label: `${sandbox.label} [${phase.name}]`, child: sandbox.child },
			],
			healthPorts: [HEALTH_PORTS_FROM],
			stop: async () => {
				await stopNode(shop);
				await stopNode(sandbox);
			},
		};
	}
	const infra = readInfraEnv();
	for (const name of ["NATS_URL", "KAFKA_BROKERS", "MONGO_URI"]) if (!infra[name]) throw new Error(`${name} is not set: run \`npm run infra:up\` first`);
	// Databases of its own, dropped afterwards: the shop's data from earlier runs and tests would
	// otherwise be measured too (the local server, mongo-java-server, scans a collection for any query not by _id, so it slows as they pile up).
	const prefix = `bench_${process.pid}_${PHASES.indexOf(phase)}_`;
	let healthPort = HEALTH_PORTS_FROM;
	const nodes: NodeProcess[] = SERVICE_NAMES.flatMap((service) =>
		Array.from({ length: options.scale[service] ?? 1 }, (_, i) =>
			startNode(service, i + 1, { env: { ...infra, ...env, DATA_DIR: dataDir, MONGO_DB_PREFIX: prefix }, healthPort: healthPort++ }),
		),
	);
	// From the start, as a container's limit holds from its first instruction.
	for (const node of nodes) budgets?.limit(node.child.pid!, node.label, CPU_BUDGETS[node.service]);
	return {
		procs: [...nodes, sandbox].map((node) => ({ label: `${node.label} [${phase.name}]`, child: node.child })),
		healthPorts: nodes.map((node) => node.healthPort!),
		dbPrefix: prefix,
		stop: async (keepData = false) => {
			await Promise.all(nodes.map((node) => stopNode(node)));
			await stopNode(sandbox);
			if (keepData) return;
			await withMongo(infra.MONGO_URI!, async (client) => {
				for (const service of SERVICE_NAMES) await client.db(`${prefix}${service}`).dropDatabase();
			});
		},
	};
}

async function load(target: string, url: string, paths: string[], options: Options, headers: Record<string, string> = {}): Promise<Omit<Sample, "round">> {
	const child = fork(path.join(__dirname, "load.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const request: LoadRequest = { url, paths, connections: options.connections, seconds: options.seconds, headers };
	const result = await new Promise<LoadResult>((resolve, reject) => {
		child.once("message", (message) => resolve(message as LoadResult));
		child.once("exit", (code) => reject(new Error(`the load generator for ${target} exited with ${code}`)));
		child.send(request);
	});
	return { target, rate: result.requests / options.seconds, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors, requests: result.requests };
}

/**
 * Customers place orders as fast as their saga lets them: each worker posts an order and polls
 * it until it is CONFIRMED or CANCELLED, then places the next. Every order placed is followed
 * to its end, after the clock stops too: one that never gets there is lost.
 *
 * The latency is measured to the moment the order became final by its own `updatedAt` (the shop
 * runs on this machine's clock), not to the moment a poll saw it, so polls can be spaced out:
 * a quarter of the time waited so far, 25 to 200 ms apart. Polling every few milliseconds would
 * itself be a load on the orders service that the saga competes with.
 */
async function checkout(base: string, tokens: string[], productId: string, options: Options) {
	const latencies: number[] = [];
	const finals: Record<string, number> = {};
	let placed = 0;
	let failedPosts = 0;
	const stopAt = Date.now() + options.checkoutSeconds * 1000;
	let finishedInTime = 0;
	const lost: string[] = [];
	const confirmed: PlacedOrder[] = [];
	await Promise.all(
		tokens.map(async (token) => {
			while (Date.now() < stopAt) {
				const postedAt = Date.now();
				const res = await json<{ id: string }>(`${base}/orders`, {
					method: "POST",
					headers: { authorization: `Bearer ${token}` },
					body: JSON.stringify({ items: [{ productId, qty: 1 }], shippingAddress: address }),
				});
				if (res.status !== 201) {
					failedPosts++;
					continue;
				}
				placed++;
				const giveUpAt = Date.now() + 120_000;
				for (;;) {
					await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(25, (Date.now() - postedAt) / 4))));
					const order = await json<{ status: string; updatedAt: string }>(`${base}/orders/${res.body.id}`, {
						headers: { authorization: `Bearer ${token}` },
					});
					if (order.body?.status === "CONFIRMED" || order.body?.status === "CANCELLED") {
						const finalAt = Date.parse(order.body.updatedAt);
						latencies.push(finalAt - postedAt);
						finals[order.body.status] = (finals[order.body.status] ?? 0) + 1;
						if (order.body.status === "CONFIRMED") confirmed.push({ id: res.body.id, token, postedAt });
						if (finalAt <= stopAt) finishedInTime++;
						break;
					}
					if (Date.now() > giveUpAt) {
						lost.push(res.body.id);
						break;
					}
				}
				progress(`checkout: ${placed} placed, ${latencies.length} final`);
			}
		}),
	);
	return {
		sample: {
			target: "checkout",
			// Orders that became final while customers were placing them, per second of that time.
			rate: finishedInTime / options.checkoutSeconds,
			p50Ms: percentile(latencies, 50),
			p99Ms: percentile(latencies, 99),
			errors: failedPosts + lost.length,
			requests: placed,
		},
		placed,
		finals,
		lost,
		confirmed,
	};
}

/**
 * The shop runs twice: first with the catalogue's read cache off (what the gateway and the
 * transporter cost on their own), then as shipped, with the cache on. Each phase interleaves its
 * targets with the same baselines; checkout runs in the second.
 */
interface Phase {
	name: string;
	/** Appended to the names of the phase's targets. */
	suffix: string;
	env: Record<string, string>;
	checkout: boolean;
}

const PHASES: Phase[] = [
	{ name: "catalogue cache off", suffix: "", env: { CATALOGUE_CACHE_TTL_SECONDS: "0" }, checkout: false },
	{ name: "catalogue cache on", suffix: " (cached)", env: {}, checkout: true },
];

async function signUpCustomers(base: string, count: number): Promise<string[]> {
	const tokens: string[] = [];
	for (let i = 0; i < count; i++) {
		const email = `bench-${randomUUID().slice(0, 8)}@example.com`;
		await json(`${base}/auth/register`, { method: "POST", body: JSON.stringify({ email, password: "bench-password-1", name: "Bench" }) });
		tokens.push((await json(`${base}/auth/login`, { method: "POST", body: JSON.stringify({ email, password: "bench-password-1" }) })).body.token as string);
	}
	return tokens;
}

/** Until the gateway answers its health check. */
function shopAnswers(): Promise<void> {
	return waitUntil("the shop", async () => (await fetch(`${BASE}/health`)).status === 200);
}

async function createBenchProduct(base: string): Promise<string> {
	const admin = (await json(`${base}/auth/login`, { method: "POST", body: JSON.stringify(ADMIN) })).body.token as string;
	const product = await json<{ id: string }>(`${base}/products`, {
		method: "POST",
		headers: { authorization: `Bearer ${admin}` },
		body: JSON.stringify({ sku: `BENCH-${randomUUID().slice(0, 8)}`, name: "Bench item", category: "bench", priceCents: 999, stock: 1_000_000 }),
	});
	return product.body.id;
}

/**
 * Fills the shop's stores with `count` orders' worth of documents (see preload.ts). The embedded
 * shop is stopped for it and started again (NeDB reads its files at start); the cluster's
 * MongoDB databases are written while it runs. Answers the shop that runs afterwards.
 */
async function preload(options: Options, shop: StartedShop, restart: () => Promise<StartedShop>, dataDir: string): Promise<StartedShop> {
	progress(`preload: ${SEED_ORDERS} orders through the API`);
	const [token] = await signUpCustomers(BASE, 1);
	await placeSeedOrders(BASE, token!, await createBenchProduct(BASE), address);
	const copies = copiesFor(options.preload!, SEED_ORDERS);
	progress(`preload: ${copies} copies of each of their documents`);
	let written: Record<string, number>;
	if (options.mode === "cluster") {
		written = await preloadMongo(readInfraEnv().MONGO_URI!, shop.dbPrefix!, copies);
	} else {
		await shop.stop(true);
		written = preloadNedb(dataDir, copies);
		shop = await restart();
		await shopAnswers();
	}
	console.error(
		`preload: ${Object.entries(written)
			.map(([collection, n]) => `${collection} +${n}`)
			.join(", ")}`,
	);
	return shop;
}

async function main(): Promise<void> {
	const options = parseOptions(process.argv.slice(2));
	const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-bench-"));
	const baselineProcs: ShopProcess[] = [];
	const memory: { process: string; peakRssMb?: number }[] = [];
	let stopShop: (() => Promise<void>) | undefined;
	const httpPort = PORT + 1;
	const natsPort = PORT + 2;
	const kafkaPort = PORT + 3;
	let kafka: { brokers: string; run: KafkaRun } | undefined;
	const selected = (target: string) => !options.only || options.only.has(target);
	const phases = PHASES.filter((phase) => targetsOf(phase).some(selected));
	// Only baselines named: the shop still runs, once, for the JSON they answer with.
	if (phases.length === 0) phases.push(PHASES[0]!);
	const baselineTargets: { name: string; url: string }[] = [];
	const baselines: Record<string, string> = {};
	const goals: Target[] = [{ name: "browse (cached)", of: "bare http", atLeast: 0.4 }];
	const samples: Sample[] = [];
	let orders: Awaited<ReturnType<typeof checkout>> | undefined;
	const stamp = new Date().toISOString().replace(/[:.]/g, "-");
	const profileDir = options.profile ? path.join(ROOT, "bench", "results", `${stamp}-${options.mode}-profiles`) : undefined;
	/** CPU ms per final order of each shop process during checkout, and with --profile its top frames. */
	let cpuPerOrder: CpuPerOrder[] = [];
	/** Store commands and Kafka messages per final order during checkout. */
	let io: IoPerOrder | undefined;
	const profiles: { process: string; frames: ReturnType<typeof topFrames> }[] = [];
	let checkoutWindow: { fromUs: number; toUs: number } | undefined;
	let stages: Awaited<ReturnType<typeof sagaStages>> = [];
	/** The bench's own customers' CPU per final order: the machine's cores are theirs too. */
	let loadGeneratorCpuMs: number | undefined;
	/** How many of the machine's cores were busy during the checkout, on average, whoever used them. */
	let machineCoresBusy: number | undefined;
	/** How often each node's CPU budget held it back during the checkout. */
	let throttling: Throttling[] = [];
	const made = options.mode === "cluster" && options.cpuBudgets ? cpuBudgets(String(process.pid)) : undefined;
	const budgets = typeof made === "object" ? made : undefined;
	const budgetNote = budgets
		? `each node capped at its service's CPU budget (${budgets.mechanism}): ${SERVICE_NAMES.map((service) => `${service} ${CPU_BUDGETS[service]}`).join(", ")} cores`
		: typeof made === "string"
			? `nodes not capped at their CPU budgets: ${made}`
			: undefined;
	try {
		for (const phase of phases) {
			progress(`starting the shop (${options.mode}, ${phase.name})`);
			const dataDir = fs.mkdtempSync(path.join(workDir, "data-"));
			let shop = await startShop(options, dataDir, phase, budgets, profileDir);
			stopShop = shop.stop;
			await shopAnswers();
			if (options.preload && phase.checkout && selected("checkout")) {
				shop = await preload(options, shop, () => startShop(options, dataDir, phase, budgets, profileDir), dataDir);
				stopShop = shop.stop;
			}

			const products = (await json(`${BASE}/products?pageSize=100`)).body.rows as { id: string }[];
			const runCheckout = phase.checkout && selected("checkout");
			const customers = await signUpCustomers(BASE, runCheckout ? Math.max(options.checkoutWorkers, 1) : 1);
			const browsePaths = products.slice(0, 20).flatMap((product, i) => [`/api/products?page=${(i % 3) + 1}&pageSize=10`, `/api/products/${product.id}`]);

			if (phase === phases[0]) {
				// The baselines answer with the shop's own JSON, byte for byte.
				const listFile = path.join(workDir, "list.json");
				const itemFile = path.join(workDir, "item.json");
				fs.writeFileSync(listFile, await (await fetch(`${BASE}/products?page=1&pageSize=10`)).text());
				fs.writeFileSync(itemFile, await (await fetch(`${BASE}/products/${products[0]!.id}`)).text());
				if (selected("bare http")) {
					baselineProcs.push(await startBaseline("bare http", ["http", String(httpPort), listFile, itemFile]));
					baselineTargets.push({ name: "bare http", url: `http://127.0.0.1:${httpPort}` });
				}
				if (options.mode === "cluster" && selected("http→nats")) {
					const natsUrl = readInfraEnv().NATS_URL!;
					baselineProcs.push(await startBaseline("nats responder", ["nats-responder", natsUrl, listFile, itemFile]));
					baselineProcs.push(await startBaseline("http→nats", ["nats-front", String(natsPort), natsUrl]));
					baselineTargets.push({ name: "http→nats", url: `http://127.0.0.1:${natsPort}` });
				}
				if (options.mode === "cluster" && selected("http→kafka")) {
					// Topics of this run's own, made before the processes that read them start.
					const brokers = readInfraEnv().KAFKA_BROKERS!;
					const runId = `${process.pid}-${randomUUID().slice(0, 8)}`;
					kafka = { brokers, run: await createRun(brokers, runId) };
					baselineProcs.push(await startBaseline("kafka responder", ["kafka-responder", brokers, runId, listFile, itemFile]));
					baselineProcs.push(await startBaseline("http→kafka", ["kafka-front", String(kafkaPort), brokers, runId]));
					baselineTargets.push({ name: "http→kafka", url: `http://127.0.0.1:${kafkaPort}` });
					// What a Kafka request/reply round trip costs beside the NATS one.
					baselines["http→kafka"] = "http→nats";
				}
			}

			const browse = `browse${phase.suffix}`;
			const browseAuth = `browse-auth${phase.suffix}`;
			// In a cluster every browse request crosses NATS to the catalogue, cached or not.
			baselines[browse] = options.mode === "cluster" ? "http→nats" : "bare http";
			baselines[browseAuth] = browse;
			goals.push({ name: browseAuth, of: browse, atLeast: 0.8 });
			if (options.mode === "cluster") goals.push({ name: browse, of: "http→nats", atLeast: 0.6 });
			const targets = [
				...baselineTargets,
				{ name: browse, url: `http://127.0.0.1:${PORT}` },
				{ name: browseAuth, url: `http://127.0.0.1:${PORT}`, headers: { authorization: `Bearer ${customers[0]}` } },
			].filter((target) => selected(target.name));
			// Unmeasured, so that rounds compare code the JIT has compiled, not start-up.
			for (const target of targets) {
				progress(`${phase.name}, warming up: ${target.name} (${options.warmupSeconds} s)`);
				await load(target.name, target.url, browsePaths, { ...options, seconds: options.warmupSeconds }, "headers" in target ? target.headers : {});
			}
			for (let round = 1; round <= options.rounds; round++) {
				for (const target of targets) {
					progress(`${phase.name}, round ${round}/${options.rounds}: ${target.name} (${options.seconds} s, ${options.connections} connections)`);
					samples.push({ ...(await load(target.name, target.url, browsePaths, options, "headers" in target ? target.headers : {})), round });
				}
			}

			if (runCheckout) {
				const productId = await createBenchProduct(BASE);
				// Freshly started JVM servers (Kafka, mongo-java-server) cost 2-3x the CPU per order until
				// their JIT has warmed, and so does the shop's own code.
				progress(`checkout, warming up: ${options.checkoutWarmupSeconds} s unmeasured`);
				const warmup = await checkout(BASE, customers.slice(0, options.checkoutWorkers), productId, {
					...options,
					checkoutSeconds: options.checkoutWarmupSeconds,
				});
				progress(`checkout: ${options.checkoutWorkers} customers for ${options.checkoutSeconds} s`);
				// The servers' share too in a cluster (those infra:up started).
				const servers = options.mode === "cluster" ? ["nats", "kafka", "mongo"].map((name) => ({ label: name, pid: infraServerPid(name) })) : [];
				const countsBefore = await readCounts(shop.healthPorts);
				const cpu = cpuMeter([...shop.procs.map((proc) => ({ label: proc.label, pid: proc.child.pid })), ...servers]);
				// The customers are this process: what they cost the machine is not the shop's, but it shares the cores.
				const loadCpu = cpuMeter([{ label: "load generator", pid: process.pid }]);
				const machine = machineMeter();
				const pids = shop.procs.map((proc) => proc.child.pid!);
				const throttledBefore = budgets?.throttling(pids) ?? [];
				const fromUs = monotonicUs();
				orders = await checkout(BASE, customers.slice(0, options.checkoutWorkers), productId, options);
				checkoutWindow = { fromUs, toUs: monotonicUs() };
				// An order the warm-up lost is lost all the same.
				orders.lost.push(...warmup.lost);
				const finalOrders = Object.values(orders.finals).reduce((sum, n) => sum + n, 0);
				cpuPerOrder = cpu.perOrder(finalOrders);
				loadGeneratorCpuMs = loadCpu.perOrder(finalOrders)[0]?.ms;
				machineCoresBusy = machine.coresBusy();
				throttling = throttlingBetween(throttledBefore, budgets?.throttling(pids) ?? []);
				io = ioPerOrder(countsBefore, await readCounts(shop.healthPorts), finalOrders);
				samples.push({ ...orders.sample, round: 1 });
				// After the CPU was read: these reads are the bench's, not the checkout's.
				stages = await sagaStages(BASE, orders.confirmed);
			}
			memory.push(...shop.procs.map((proc) => ({ process: proc.label, peakRssMb: peakRssMb(proc.child.pid) })));
			await shop.stop();
			stopShop = undefined;
			if (profileDir) {
				// V8 names each file after the process's pid.
				for (const file of fs.readdirSync(profileDir).filter((name) => name.endsWith(".cpuprofile"))) {
					const proc = shop.procs.find((p) => file.includes(`.${p.child.pid}.`));
					if (proc) profiles.push({ process: proc.label, frames: topFrames(path.join(profileDir, file), 12, checkoutWindow) });
				}
			}
		}
		memory.push(...baselineProcs.map((proc) => ({ process: proc.label, peakRssMb: peakRssMb(proc.child.pid) })));
		progress("");

		const rows = summarize(samples, baselines);
		const verdicts = judge(rows, goals);
		const finals = orders?.finals ?? {};
		const lost = orders?.lost ?? [];
		const out = [
			`shop benchmark, ${options.mode} mode${options.preload ? ` with ${options.preload} orders preloaded` : ""}, ${options.rounds} rounds of ${options.seconds} s per phase, ${options.connections} connections; ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}`,
			...(budgetNote ? [budgetNote] : []),
			"",
			table(rows, (target) => (target === "checkout" ? "orders/s" : "req/s")),
			"",
			...(orders
				? [
						`checkout: ${orders.placed} orders placed, ${
							Object.entries(finals)
								.map(([status, n]) => `${n} ${status}`)
								.join(", ") || "none final"
						}, ${lost.length} lost; latency is POST to final status; measured after ${options.checkoutWarmupSeconds} s of checkout unmeasured`,
						"",
					]
				: []),
			...(stages.length ? [stagesTable(stages), ""] : []),
			...(cpuPerOrder.length
				? [
						`checkout CPU per final order: ${cpuPerOrder.map((c) => `${c.process.replace(/ \[.*\]$/, "")} ${c.ms.toFixed(1)} ms`).join(", ")} (${cpuPerOrder.reduce((sum, c) => sum + c.ms, 0).toFixed(1)} ms in all; the bench's load generator ${loadGeneratorCpuMs?.toFixed(1) ?? "?"} ms more); the machine's cores busy: ${machineCoresBusy?.toFixed(2) ?? "?"} of ${os.cpus().length}`,
						"",
					]
				: []),
			...(throttling.length
				? [
						`checkout CPU budget held back (share of 100 ms periods the node used up its quota in): ${throttling
							.map((t) => `${t.label} ${t.periods ? Math.round((t.throttledPeriods / t.periods) * 100) : 0}%`)
							.join(", ")}`,
						"",
					]
				: []),
			...(io ? [ioTable(io), ""] : []),
			...profiles.flatMap(({ process: label, frames }) => [
				`top frames by self time, ${label}:`,
				...frames.map((f) => `  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.frame}`),
				"",
			]),
			...(profileDir ? [`profiles (open in Chrome DevTools or speedscope): ${path.relative(ROOT, profileDir)}/`, ""] : []),
			...verdicts.map(
				(v) => `${v.met ? "MET   " : "MISSED"} ${v.name} at least ${(v.atLeast * 100).toFixed(0)}% of ${v.of}: ${(v.ratio * 100).toFixed(0)}%`,
			),
			"",
			"peak RSS: " + memory.map((m) => `${m.process} ${m.peakRssMb ?? "?"} MB`).join(", "),
		].join("\n");
		console.log(out);
		const resultsDir = path.join(ROOT, "bench", "results");
		fs.mkdirSync(resultsDir, { recursive: true });
		const file = path.join(resultsDir, `${stamp}-${options.mode}.json`);
		const machine = {
			cpus: os.cpus().length,
			cpuModel: os.cpus()[0]?.model.trim(),
			memoryGb: Math.round(os.totalmem() / 2 ** 30),
			node: process.version,
			platform: `${os.platform()} ${os.release()}`,
		};
		fs.writeFileSync(
			file,
			JSON.stringify(
				{
					at: new Date().toISOString(),
					options: { ...options, only: options.only && [...options.only] },
					machine,
					samples,
					rows,
					verdicts,
					cpuBudgets: budgets ? CPU_BUDGETS : null,
					budgetNote,
					checkout: { placed: orders?.placed ?? 0, finals, lost, stages, cpuPerOrder, loadGeneratorCpuMs, machineCoresBusy, io, throttling },
					profiles,
					memory,
				},
				null,
				2,
			) + "\n",
		);
		console.log(`\nwritten to ${path.relative(ROOT, file)}`);
		// An order is counted final only as CONFIRMED or CANCELLED; any other end is a lost order.
		if (lost.length > 0) process.exitCode = 1;
	} finally {
		await Promise.all(baselineProcs.map((proc) => stopNode(proc, 5000)));
		if (kafka)
			await deleteRun(kafka.brokers, kafka.run).catch((err: unknown) =>
				console.error(`bench: the Kafka topics ${kafka!.run.requests} and ${kafka!.run.replies} may be left: ${(err as Error).message}`),
			);
		await stopShop?.().catch(() => undefined);
		fs.rmSync(workDir, { recursive: true, force: true });
		for (const left of budgets?.release() ?? []) console.error(`bench: a cgroup is left: ${left}`);
	}
}

/** `--scaling` runs the bench once per replica count (scaling.ts); anything else is one run. */
async function entry(argv: string[]): Promise<void> {
	const scaling = scalingRequest(argv);
	if (scaling) return runScaling(scaling);
	return main();
}

entry(process.argv.slice(2)).catch((err: unknown) => {
	console.error(`\nbench: ${(err as Error).message}`);
	process.exit(1);
});
