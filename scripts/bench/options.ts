import { SERVICE_NAMES, type ServiceName } from "../cluster-lib";
import { SEED_ORDERS } from "./preload";

/*
 * What a bench run measures and where (the options themselves are described in bench.ts): the
 * command line read into Options, the phases the shop runs in and their targets, and the port
 * and admin of the shop the bench starts.
 */

export interface Options {
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

export const BASELINES = ["bare http", "http→nats", "http→kafka"];
/** Baselines that need the cluster's servers. */
export const CLUSTER_BASELINES = ["http→nats", "http→kafka"];

export function targetsOf(phase: Phase): string[] {
	return [`browse${phase.suffix}`, `browse-auth${phase.suffix}`, ...(phase.checkout ? ["checkout"] : [])];
}

export function parseOptions(argv: string[]): Options {
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

/**
 * The shop runs twice: first with the catalogue's read cache off (what the gateway and the
 * transporter cost on their own), then as shipped, with the cache on. Each phase interleaves its
 * targets with the same baselines; checkout runs in the second.
 */
export interface Phase {
	name: string;
	/** Appended to the names of the phase's targets. */
	suffix: string;
	env: Record<string, string>;
	checkout: boolean;
}

export const PHASES: Phase[] = [
	{ name: "catalogue cache off", suffix: "", env: { CATALOGUE_CACHE_TTL_SECONDS: "0" }, checkout: false },
	{ name: "catalogue cache on", suffix: " (cached)", env: {}, checkout: true },
];

export const PORT = Number(process.env.BENCH_PORT ?? 3700);
/** The shop's API, as the bench's customers call it. */
export const BASE = `http://127.0.0.1:${PORT}/api`;
export const ADMIN = { email: "bench-admin@shop.local", password: "bench-admin-password" };
