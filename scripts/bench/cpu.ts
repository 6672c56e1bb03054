import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/*
 * What each process of the shop spends on the checkout: CPU time from /proc (user + system,
 * exact, whatever the machine's load), and with --profile where it goes, from V8's own
 * sampling profiles (`--cpu-prof`), as the heaviest frames by self time.
 */

let ticksPerSecond: number | undefined;

function clockTicks(): number {
	if (ticksPerSecond === undefined) {
		try {
			ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
		} catch {
			ticksPerSecond = 100;
		}
	}
	return ticksPerSecond;
}

/** User plus system CPU time the process has used so far, in ms; undefined once it is gone. */
export function cpuMs(pid: number | undefined): number | undefined {
	if (!pid) return undefined;
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
		// The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
		const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
	} catch {
		return undefined;
	}
}

/** The machine's busy and total CPU time so far, in clock ticks (/proc/stat); undefined off Linux. */
function machineTicks(): { busy: number; total: number } | undefined {
	try {
		const [, ...fields] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
		const ticks = fields.map(Number);
		const total = ticks.reduce((sum, n) => sum + n, 0);
		// idle and iowait are the 4th and 5th fields: everything else is work, the kernel's too.
		return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total };
	} catch {
		return undefined;
	}
}

/**
 * Starts watching the whole machine; `coresBusy` is how many of its cores were at work on average
 * since, whatever the process (the shop, its servers, the load generator, the kernel).
 */
export function machineMeter(): { coresBusy(): number | undefined } {
	const cores = os.cpus().length;
	const before = machineTicks();
	return {
		coresBusy() {
			const after = machineTicks();
			if (!before || !after || after.total === before.total) return undefined;
			return ((after.busy - before.busy) / (after.total - before.total)) * cores;
		},
	};
}

export interface CpuPerOrder {
	process: string;
	pid?: number;
	ms: number;
}

/** Starts counting the CPU of the processes named; `perOrder` divides what each used since by the orders. */
export function cpuMeter(procs: { label: string; pid?: number }[]): { perOrder(orders: number): CpuPerOrder[] } {
	const before = procs.map((proc) => cpuMs(proc.pid));
	return {
		perOrder(orders) {
			return procs.flatMap((proc, i) => {
				const after = cpuMs(proc.pid);
				const start = before[i];
				return after === undefined || start === undefined || orders === 0 ? [] : [{ process: proc.label, pid: proc.pid, ms: (after - start) / orders }];
			});
		},
	};
}

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
	/** µs on the machine's monotonic clock, as process.hrtime gives it in ns. */
	startTime: number;
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

export interface Frame {
	frame: string;
	/** Share of the process's busy (non-idle) samples spent in this frame itself. */
	share: number;
}

function frameName({ functionName, url, lineNumber }: ProfileNode["callFrame"]): string {
	if (!url) return functionName || "(anonymous)";
	// node_modules/<package> or the project's own file, not the whole path.
	const short = url.includes("node_modules/")
		? url.slice(url.lastIndexOf("node_modules/") + 13)
		: path.relative(process.cwd(), url.replace(/^file:\/\//, ""));
	return `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
}

/** Now on the clock of a profile's timestamps, in µs. */
export function monotonicUs(): number {
	return Number(process.hrtime.bigint() / 1000n);
}

/**
 * The heaviest frames of a `--cpu-prof` profile by self time, idle time left out; only the
 * samples taken within `window` (µs, monotonicUs) when given, so start-up does not count.
 */
export function topFrames(file: string, count = 8, window?: { fromUs: number; toUs: number }): Frame[] {
	const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
	const names = new Map(profile.nodes.map((node) => [node.id, frameName(node.callFrame)]));
	const self = new Map<string, number>();
	let busy = 0;
	let at = profile.startTime;
	profile.samples.forEach((id, i) => {
		const delta = profile.timeDeltas[i] ?? 0;
		at += delta;
		if (window && (at < window.fromUs || at > window.toUs)) return;
		const name = names.get(id) ?? "?";
		if (name === "(idle)") return;
		busy += delta;
		self.set(name, (self.get(name) ?? 0) + delta);
	});
	return [...self]
		.sort((a, b) => b[1] - a[1])
		.slice(0, count)
		.map(([frame, us]) => ({ frame, share: busy > 0 ? us / busy : 0 }));
}
