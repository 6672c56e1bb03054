import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, SERVICE_NAMES, type ServiceName } from "../cluster-lib";
import { scalingSvg, type ScalingPoint } from "./scaling-chart";

/*
 * `npm run bench -- --mode cluster --scaling orders=1,2,3`: the cluster's checkout at each number
 * of replicas of one service, in one run. Each count is a bench run of its own (a fresh cluster,
 * its JIT warmed by the unmeasured checkout, every node under its CPU budget); this collects
 * their figures, judges them against the targets (2 replicas at least 1.8× the rate of 1, 3 at
 * least 2.5×) and draws them (scaling-chart.ts) next to the runs' JSON in bench/results/.
 */

/** The rate n replicas must reach, as a multiple of one replica's. */
const TARGETS: Record<number, number> = { 2: 1.8, 3: 2.5 };
/** Cores used from this share of the machine's on, the machine rather than the service is the limit. */
const MACHINE_BOUND = 0.85;

export interface ScalingRequest {
	service: ServiceName;
	counts: number[];
	/** The bench's other arguments, given to every run. */
	rest: string[];
}

/** `--scaling <service>=<n,n,...>` out of the bench's arguments; undefined when absent. */
export function scalingRequest(argv: string[]): ScalingRequest | undefined {
	const at = argv.findIndex((arg) => arg === "--scaling" || arg.startsWith("--scaling="));
	if (at < 0) return undefined;
	const inline = argv[at]!.startsWith("--scaling=");
	const value = inline ? argv[at]!.slice("--scaling=".length) : argv[at + 1];
	const rest = [...argv.slice(0, at), ...argv.slice(at + (inline ? 1 : 2))];
	const match = /^([a-z]+)=(\d(?:,\d)*)$/.exec(value ?? "");
	const service = match?.[1] as ServiceName | undefined;
	const counts = match ? match[2]!.split(",").map(Number) : [];
	const increasing = counts.every((n, i) => n >= 1 && n <= 8 && (i === 0 || n > counts[i - 1]!));
	if (!service || !SERVICE_NAMES.includes(service) || service === "api" || counts.length < 2 || !increasing) {
		throw new Error(`--scaling takes <service>=<replicas,...>, a service other than api and at least two increasing counts from 1 to 8 (got ${value})`);
	}
	if (rest.some((arg) => arg === "--only" || arg.startsWith("--only=") || arg.startsWith("--scale"))) {
		throw new Error("--scaling measures checkout alone at the replicas it names: leave --only and --scale out");
	}
	const mode = rest.indexOf("--mode");
	if (mode < 0 || rest[mode + 1] !== "cluster") throw new Error("--scaling needs --mode cluster");
	return { service, counts, rest };
}

interface BenchResult {
	rows: { target: string; rate: number; p99Ms: number }[];
	budgetNote?: string;
	checkout: {
		cpuPerOrder: { process: string; ms: number }[];
		loadGeneratorCpuMs?: number;
		machineCoresBusy?: number;
		throttling?: { label: string; periods: number; throttledPeriods: number }[];
	};
}

/** One bench run at `replicas`; the path of the JSON it wrote. */
function benchRun(request: ScalingRequest, replicas: number): Promise<string> {
	const args = [path.join(__dirname, "bench.js"), ...request.rest, "--only", "checkout", "--scale", `${request.service}=${replicas}`];
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
		let stdout = "";
		child.stdout.on("data", (chunk: Buffer) => {
			stdout += chunk.toString();
			process.stdout.write(chunk);
		});
		child.on("exit", (code) => {
			const file = /written to (\S+\.json)/.exec(stdout)?.[1];
			if (file) resolve(path.join(ROOT, file));
			else reject(new Error(`the bench at ${replicas} ${request.service} replicas exited with ${code} and wrote no results`));
		});
	});
}

/** A run's figures as a point of the curve: processes by service (replicas added up), servers by name. */
export function pointOf(replicas: number, result: BenchResult): ScalingPoint {
	const row = result.rows.find((r) => r.target === "checkout");
	if (!row) throw new Error("a scaling run measured no checkout");
	const cpuMs: Record<string, number> = {};
	for (const { process: label, ms } of result.checkout.cpuPerOrder) {
		const name = label.replace(/#\d+.*$/, "");
		cpuMs[name] = (cpuMs[name] ?? 0) + ms;
	}
	// The bench's customers share the machine's cores with the shop.
	if (result.checkout.loadGeneratorCpuMs !== undefined) cpuMs["load generator"] = result.checkout.loadGeneratorCpuMs;
	const total = Object.values(cpuMs).reduce((sum, ms) => sum + ms, 0);
	// The whole machine's busy cores where the run measured them (the kernel's work counts too).
	const coresUsed = result.checkout.machineCoresBusy ?? (row.rate * total) / 1000;
	return { replicas, rate: row.rate, p99Ms: row.p99Ms, cpuMs, coresUsed };
}

/** Each count with a target against the rate of the first: met, missed, or missed where the machine binds. */
export function scalingVerdicts(points: ScalingPoint[], cores: number): string[] {
	const first = points[0]!;
	return points.flatMap((point) => {
		const target = TARGETS[point.replicas / first.replicas];
		if (!target) return [];
		const ratio = point.rate / first.rate;
		const bound = point.coresUsed >= cores * MACHINE_BOUND;
		const verdict = ratio >= target ? "MET   " : bound ? "BOUND " : "MISSED";
		const why = bound ? ` (the run used ${point.coresUsed.toFixed(2)} of the machine's ${cores} cores)` : "";
		return [`${verdict} ${point.replicas} replicas at least ${target}× the rate of ${first.replicas}: ${ratio.toFixed(2)}×${why}`];
	});
}

export async function runScaling(request: ScalingRequest): Promise<void> {
	const points: ScalingPoint[] = [];
	const throttling: Record<number, BenchResult["checkout"]["throttling"]> = {};
	let budgetNote = "";
	for (const replicas of request.counts) {
		console.error(`scaling: ${replicas} ${request.service} replica(s)`);
		const result = JSON.parse(fs.readFileSync(await benchRun(request, replicas), "utf8")) as BenchResult;
		points.push(pointOf(replicas, result));
		throttling[replicas] = result.checkout.throttling;
		budgetNote = result.budgetNote ?? "";
	}
	const cores = os.cpus().length;
	const verdicts = scalingVerdicts(points, cores);
	const stamp = new Date().toISOString().replace(/[:.]/g, "-");
	const base = path.join(ROOT, "bench", "results", `${stamp}-scaling-${request.service}`);
	const subtitle = `${budgetNote.replace(/:.*$/, "") || "nodes not capped"}; ${cores} cores, ${os.cpus()[0]?.model.trim()}`;
	fs.writeFileSync(`${base}.svg`, scalingSvg({ service: request.service, points, cores, subtitle }));
	fs.writeFileSync(
		`${base}.json`,
		JSON.stringify({ at: new Date().toISOString(), request, budgetNote, cores, points, throttling, verdicts }, null, 2) + "\n",
	);
	console.log(
		[
			"",
			`scaling ${request.service}: ${budgetNote}`,
			...points.map(
				(p) =>
					`  ${p.replicas} replica(s): ${p.rate.toFixed(1)} orders/s (${(p.rate / points[0]!.rate).toFixed(2)}×), p99 ${Math.round(p.p99Ms)} ms, ` +
					`${Object.values(p.cpuMs)
						.reduce((sum, ms) => sum + ms, 0)
						.toFixed(1)} ms CPU per order, ${p.coresUsed.toFixed(2)} cores`,
			),
			...verdicts,
			`written to ${path.relative(ROOT, base)}.svg and .json`,
		].join("\n"),
	);
}
