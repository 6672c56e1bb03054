import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {
	CPU_BUDGETS,
	SERVICE_NAMES,
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
import type { CpuBudgets } from "./cgroup";
import { ADMIN, BASE, PHASES, PORT, type Options, type Phase } from "./options";

/*
 * What the bench runs and measures against: the shop (embedded, or a cluster node per service
 * replica, each on its CPU budget) with the card processor sandbox beside it, and the baseline
 * processes (baseline.ts) that answer the shop's JSON without the shop.
 */

/** A process of the bench, with the pid whose peak RSS is reported. */
export interface Proc {
	label: string;
	child: ChildProcess;
}

export function peakRssMb(pid: number | undefined): number | undefined {
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
export function startBaseline(label: string, args: string[]): Promise<ShopProcess> {
	const child = fork(path.join(__dirname, "baseline.js"), args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
	return new Promise((resolve, reject) => {
		child.once("message", () => resolve({ label, child, exited }));
		child.once("exit", (code) => reject(new Error(`${label} exited with ${code}`)));
	});
}

export interface StartedShop {
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

export async function startShop(options: Options, dataDir: string, phase: Phase, budgets: CpuBudgets | undefined, profileDir?: string): Promise<StartedShop> {
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

/** Until the gateway answers its health check. */
export function shopAnswers(): Promise<void> {
	return waitUntil("the shop", async () => (await fetch(`${BASE}/health`)).status === 200);
}
