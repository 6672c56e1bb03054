import fs from "node:fs";
import path from "node:path";

/*
 * CPU budgets for the bench's cluster nodes: each node process runs in a Linux cgroup of its own
 * whose CPU bandwidth is capped at its budget, as a Kubernetes pod's CPU limit or compose's
 * `cpus:` caps a container (both are the same CFS quota underneath). cgroup v1 (these machines)
 * caps with the `cpu` controller's `cpu.cfs_quota_us` over `cpu.cfs_period_us`; cgroup v2 with
 * `cpu.max`. Creating cgroups takes root; without it, or without a cpu controller, the bench says
 * why and runs the nodes unbudgeted.
 */

const PERIOD_US = 100_000;
const V1_ROOT = "/sys/fs/cgroup/cpu";
const V2_ROOT = "/sys/fs/cgroup";

/** How often a node's budget held it back during a measurement. */
export interface Throttling {
	label: string;
	pid: number;
	/** CFS periods the node ran in, and in how many of them it used up its quota and waited. */
	periods: number;
	throttledPeriods: number;
	/** Time it spent waiting for its next period, in ms. */
	throttledMs: number;
}

export interface CpuBudgets {
	/** "cgroup v1 (cpu.cfs_quota_us)" or "cgroup v2 (cpu.max)". */
	readonly mechanism: string;
	/** Caps the process at `cpus` (0.25 is a quarter of one core) from now on. */
	limit(pid: number, label: string, cpus: number): void;
	/** Each budgeted node's throttling so far; only those of `pids` when given. */
	throttling(pids?: number[]): Throttling[];
	/** Removes the cgroups (their processes must have exited); says what it could not remove. */
	release(): string[];
}

type Flavour = { version: 1 | 2; root: string };

/** Which cgroup hierarchy this machine gives a cpu controller in, or why none can be used. */
function flavour(): Flavour | string {
	if (process.platform !== "linux") return `cgroups are Linux's (this is ${process.platform})`;
	if (process.getuid?.() !== 0) return "creating cgroups takes root";
	if (fs.existsSync(path.join(V1_ROOT, "cpu.cfs_quota_us"))) return { version: 1, root: V1_ROOT };
	const controllers = path.join(V2_ROOT, "cgroup.controllers");
	if (fs.existsSync(controllers) && fs.readFileSync(controllers, "utf8").split(/\s+/).includes("cpu")) return { version: 2, root: V2_ROOT };
	return "neither cgroup v1's cpu controller nor cgroup v2's cpu.max is mounted";
}

/** The `cpu.stat` fields as numbers. */
function readStat(dir: string): Record<string, number> {
	const stat: Record<string, number> = {};
	for (const line of fs.readFileSync(path.join(dir, "cpu.stat"), "utf8").split("\n")) {
		const [key, value] = line.split(" ");
		if (key && value) stat[key] = Number(value);
	}
	return stat;
}

/**
 * Budgets in a cgroup of this run's own (`shop-bench-<runId>`), one child per node; a string
 * saying why when this machine cannot give them.
 */
export function cpuBudgets(runId: string): CpuBudgets | string {
	const found = flavour();
	if (typeof found === "string") return found;
	const { version, root } = found;
	const parent = path.join(root, `shop-bench-${runId}`);
	try {
		fs.mkdirSync(parent);
		// cgroup v2 gives a child the cpu controller only when its parent hands it down.
		if (version === 2) fs.writeFileSync(path.join(parent, "cgroup.subtree_control"), "+cpu");
	} catch (err) {
		try {
			fs.rmdirSync(parent);
		} catch {
			// Never made.
		}
		return `could not create a cgroup under ${root}: ${(err as Error).message}`;
	}
	const nodes: { label: string; pid: number; dir: string }[] = [];
	return {
		mechanism: version === 1 ? "cgroup v1 (cpu.cfs_quota_us)" : "cgroup v2 (cpu.max)",
		limit(pid, label, cpus) {
			const dir = path.join(parent, `${label.replace(/[^A-Za-z0-9_-]+/g, "-")}-${pid}`);
			fs.mkdirSync(dir);
			const quotaUs = Math.max(1000, Math.round(cpus * PERIOD_US));
			if (version === 1) {
				fs.writeFileSync(path.join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
				fs.writeFileSync(path.join(dir, "cpu.cfs_quota_us"), String(quotaUs));
			} else {
				fs.writeFileSync(path.join(dir, "cpu.max"), `${quotaUs} ${PERIOD_US}`);
			}
			fs.writeFileSync(path.join(dir, "cgroup.procs"), String(pid));
			nodes.push({ label, pid, dir });
		},
		throttling(pids) {
			return nodes
				.filter((node) => !pids || pids.includes(node.pid))
				.map(({ label, pid, dir }) => {
					const stat = readStat(dir);
					return {
						label,
						pid,
						periods: stat.nr_periods ?? 0,
						throttledPeriods: stat.nr_throttled ?? 0,
						throttledMs: version === 1 ? (stat.throttled_time ?? 0) / 1e6 : (stat.throttled_usec ?? 0) / 1e3,
					};
				});
		},
		release() {
			const left: string[] = [];
			for (const dir of [...nodes.map((node) => node.dir), parent]) {
				try {
					fs.rmdirSync(dir);
				} catch (err) {
					left.push(`${dir}: ${(err as Error).message}`);
				}
			}
			return left;
		},
	};
}

/** The difference between two readings of the same nodes' throttling. */
export function throttlingBetween(before: Throttling[], after: Throttling[]): Throttling[] {
	return after.map((end) => {
		const start = before.find((reading) => reading.pid === end.pid);
		return {
			label: end.label,
			pid: end.pid,
			periods: end.periods - (start?.periods ?? 0),
			throttledPeriods: end.throttledPeriods - (start?.throttledPeriods ?? 0),
			throttledMs: end.throttledMs - (start?.throttledMs ?? 0),
		};
	});
}
