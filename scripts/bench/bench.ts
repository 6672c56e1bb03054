import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CPU_BUDGETS, ROOT, SERVICE_NAMES, infraServerPid, json, readInfraEnv, stopNode, type ShopProcess } from "../cluster-lib";
import { cpuBudgets, throttlingBetween, type Throttling } from "./cgroup";
import { cpuMeter, machineMeter, monotonicUs, topFrames, type CpuPerOrder } from "./cpu";
import { checkout, createBenchProduct, load, preload, signUpCustomers, type CheckoutRun } from "./customers";
import { ioPerOrder, readCounts, type IoPerOrder } from "./io";
import { createRun, deleteRun, type KafkaRun } from "./kafka-baseline";
import { BASE, PHASES, PORT, parseOptions, targetsOf } from "./options";
import { progress } from "./progress";
import type { Sample, Target } from "./report";
import { reportRun } from "./results";
import { runScaling, scalingRequest } from "./scaling";
import { sagaStages } from "./stages";
import { peakRssMb, shopAnswers, startBaseline, startShop } from "./topology";

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
 *
 * This file runs the phases and measures them; beside it, options.ts reads the command line,
 * topology.ts starts the shop and the baselines, customers.ts generates the load and
 * results.ts reports.
 */

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
	let orders: CheckoutRun | undefined;
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

		reportRun({
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
		});
		// An order is counted final only as CONFIRMED or CANCELLED; any other end is a lost order.
		if (orders && orders.lost.length > 0) process.exitCode = 1;
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
