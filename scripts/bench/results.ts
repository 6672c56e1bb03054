import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CPU_BUDGETS, ROOT } from "../cluster-lib";
import type { CpuBudgets, Throttling } from "./cgroup";
import type { CpuPerOrder, Frame } from "./cpu";
import type { CheckoutRun } from "./customers";
import { ioTable, type IoPerOrder } from "./io";
import type { Options } from "./options";
import { judge, summarize, table, type Sample, type Target } from "./report";
import { stagesTable } from "./stages";

/*
 * A bench run's report: the samples judged against their baselines and goals, printed with the
 * checkout's figures, and written in full to bench/results/ as JSON.
 */

/** Everything a run measured, as bench.ts gathered it. */
export interface BenchRun {
	options: Options;
	/** The run's start, in file names. */
	stamp: string;
	/** Cluster mode: the nodes' CPU budgets, when they were capped. */
	budgets?: CpuBudgets;
	budgetNote?: string;
	samples: Sample[];
	/** Target → the target it is compared with. */
	baselines: Record<string, string>;
	goals: Target[];
	orders?: CheckoutRun;
	stages: Parameters<typeof stagesTable>[0];
	cpuPerOrder: CpuPerOrder[];
	loadGeneratorCpuMs?: number;
	machineCoresBusy?: number;
	throttling: Throttling[];
	io?: IoPerOrder;
	profiles: { process: string; frames: Frame[] }[];
	profileDir?: string;
	memory: { process: string; peakRssMb?: number }[];
}

/** Prints the run's report and writes it to bench/results/<stamp>-<mode>.json. */
export function reportRun(run: BenchRun): void {
	const {
		options,
		stamp,
		budgets,
		budgetNote,
		samples,
		baselines,
		goals,
		orders,
		stages,
		cpuPerOrder,
		loadGeneratorCpuMs,
		machineCoresBusy,
		throttling,
		io,
		profiles,
		profileDir,
		memory,
	} = run;
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
		...verdicts.map((v) => `${v.met ? "MET   " : "MISSED"} ${v.name} at least ${(v.atLeast * 100).toFixed(0)}% of ${v.of}: ${(v.ratio * 100).toFixed(0)}%`),
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
}
