import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT, freePort, json, startEmbedded, stopNode, waitUntil, type ShopProcess } from "../cluster-lib";
import { PHASES, formatSummary, summarizePass, type JsonReport, type PassSummary } from "./report";

/*
 * `npm run fuzz` / `npm run fuzz:ci`: Schemathesis against the shop's HTTP API as its OpenAPI
 * document describes it. Starts the embedded shop from dist/ (build first) on a free port with
 * fresh data, then runs `st run` three times, as nobody, as a customer and as the admin, since
 * most of the API answers each of them differently. Every phase (examples, coverage, fuzzing,
 * stateful via the document's links) and every check runs; the pass fails on any failure, error
 * or skip (see report.ts). Reports go to fuzz/results/<time>/, with the shop's log.
 *
 *   node dist/scripts/fuzz/fuzz.js [--examples 50] [--seed 1] [--schema <url-or-file>] [--quiet]
 *
 * --quiet (fuzz:ci) keeps Schemathesis's own output in <pass>.log beside the reports and prints
 * it only for a pass that fails; the summary of every pass is printed either way.
 * --schema defaults to the shop's own /api/openapi.json; a file or another loopback URL serves
 * to try a document out. Requests always go to the shop (--url), whatever the document's servers say.
 */

interface Options {
	examples: number;
	seed: number;
	schema?: string;
	/** Schemathesis's own output to a file beside the reports, shown only for a pass that fails. */
	quiet: boolean;
}

function parseOptions(argv: string[]): Options {
	const options: Options = { examples: 50, seed: 1, quiet: false };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === "--quiet") {
			options.quiet = true;
			continue;
		}
		const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
		const value = inline ?? argv[++i];
		if (value === undefined) throw new Error(`${flag} needs a value`);
		if (flag === "--schema") {
			// The fuzzer may only talk to this machine.
			if (/^https?:/.test(value) && !/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(value))
				throw new Error(`--schema must be a file or a URL on 127.0.0.1 (got ${value})`);
			options.schema = /^https?:/.test(value) ? value : path.resolve(value);
		} else if (flag === "--examples" || flag === "--seed") {
			const number = Number(value);
			if (!Number.isInteger(number) || number < 1) throw new Error(`${flag} takes a whole number from 1 (got ${value})`);
			options[flag === "--examples" ? "examples" : "seed"] = number;
		} else {
			throw new Error(`Unknown option ${flag}; see scripts/fuzz/fuzz.ts`);
		}
	}
	return options;
}

/** The `st` of the pinned Schemathesis; install.sh knows where and installs it if missing. */
function schemathesis(): string {
	const out = execFileSync("bash", [path.join(ROOT, "scripts", "fuzz", "install.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
	return out.trim().split("\n").pop()!;
}

const CONFIG = path.join(ROOT, "scripts", "fuzz", "schemathesis.toml");

function stArgs(schema: string, base: string, options: Options, reports: string, token?: string): string[] {
	return [
		// Given explicitly, so a schemathesis.toml elsewhere (cwd or a parent) cannot change the run.
		"--config-file",
		CONFIG,
		"run",
		schema,
		"--url",
		base,
		"--phases",
		PHASES.join(","),
		"--checks",
		"all",
		"--max-examples",
		String(options.examples),
		"--seed",
		String(options.seed),
		// Reproducible: no examples carried over from earlier runs, and one worker, so requests
		// reach the shop (whose state they change) in the same order every time.
		"--generation-database",
		"none",
		"--workers",
		"1",
		"--report",
		"junit,ndjson,json",
		"--report-junit-path",
		`${reports}.xml`,
		"--report-ndjson-path",
		`${reports}.ndjson`,
		"--report-json-path",
		`${reports}.json`,
		...(token ? ["-H", `Authorization: Bearer ${token}`] : []),
	];
}

async function tokens(base: string, admin: { email: string; password: string }): Promise<{ customer: string; admin: string }> {
	const login = async (credentials: { email: string; password: string }): Promise<string> => {
		const res = await json<{ token?: string }>(`${base}/auth/login`, { method: "POST", body: JSON.stringify(credentials) });
		if (res.status !== 200 || !res.body?.token) throw new Error(`login as ${credentials.email} answered ${res.status}`);
		return res.body.token;
	};
	const customer = { email: "fuzz-customer@example.com", password: randomUUID() };
	const registered = await json(`${base}/auth/register`, { method: "POST", body: JSON.stringify({ ...customer, name: "Fuzz Customer" }) });
	if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
	return { customer: await login(customer), admin: await login(admin) };
}

async function main(): Promise<void> {
	const options = parseOptions(process.argv.slice(2));
	const st = schemathesis();
	const results = path.join(ROOT, "fuzz", "results", new Date().toISOString().replace(/[:.]/g, "-"));
	fs.mkdirSync(results, { recursive: true });
	const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-fuzz-"));
	const shopLog = fs.createWriteStream(path.join(results, "shop.log"));
	let shop: ShopProcess | undefined;
	let running: ChildProcess | undefined;

	let cleaning: Promise<void> | undefined;
	const cleanUp = () =>
		(cleaning ??= (async () => {
			running?.kill("SIGTERM");
			if (shop) await stopNode(shop);
			shopLog.end();
			fs.rmSync(dataDir, { recursive: true, force: true });
		})());
	// Ctrl-C reaches st and the shop too (one process group); this waits for the shop to stop and removes its data.
	for (const signal of ["SIGINT", "SIGTERM"] as const) {
		process.once(signal, () => {
			console.error(`\nfuzz: ${signal}, stopping the shop`);
			void cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
		});
	}

	try {
		const port = await freePort();
		// The embedded shop runs the card processor sandbox in its process, on a port of its own.
		const sandboxPort = await freePort();
		const base = `http://127.0.0.1:${port}/api`;
		const admin = { email: "fuzz-admin@shop.local", password: randomUUID() };
		shop = startEmbedded({
			env: {
				NODE_ENV: "production",
				PORT: String(port),
				DATA_DIR: dataDir,
				JWT_SECRET: randomUUID() + randomUUID(),
				// Required in production like JWT_SECRET, and shared by payments, the gateway and the
				// sandbox. The fuzzer knows neither: every webhook it sends is unsigned or signed wrongly.
				PAYMENTS_PROCESSOR_SECRET_KEY: `sk_test_${randomUUID()}`,
				PAYMENTS_WEBHOOK_SECRET: `whsec_${randomUUID()}`,
				PAYMENT_SANDBOX_PORT: String(sandboxPort),
				PAYMENT_SANDBOX_DATA_DIR: path.join(dataDir, "payment-sandbox"),
				ADMIN_EMAIL: admin.email,
				ADMIN_PASSWORD: admin.password,
				// The default (20 a minute) would answer the auth routes' fuzzing with 429 after a few requests.
				AUTH_RATE_LIMIT_PER_MINUTE: "100000",
				// An order's live stream (GET /orders/{id}/events, which the fuzzer reaches through the
				// document's links) lasts until the saga ends: a stuck one ends within this.
				SAGA_STEP_TIMEOUT_MS: "10000",
				LOG_LEVEL: "info",
				LOG_FORMAT: "json",
			},
			onLine: (line) => shopLog.write(`${line}\n`),
		});
		const exited = shop.exited.then((code) => Promise.reject(new Error(`the shop exited with ${code}; see ${path.relative(ROOT, results)}/shop.log`)));
		exited.catch(() => undefined);
		await Promise.race([waitUntil("the shop", async () => (await fetch(`${base}/health`)).status === 200), exited]);
		const { customer, admin: adminToken } = await Promise.race([tokens(base, admin), exited]);
		const schema = options.schema ?? `${base}/openapi.json`;
		console.log(`fuzz: shop on ${base}, document ${schema}, ${options.examples} examples, seed ${options.seed}`);

		const passes: PassSummary[] = [];
		for (const [name, token] of [
			["anonymous", undefined],
			["customer", customer],
			["admin", adminToken],
		] as const) {
			console.log(`\nfuzz: pass ${passes.length + 1}/3, ${name}`);
			const reports = path.join(results, name);
			const output = options.quiet ? fs.openSync(`${reports}.log`, "w") : "inherit";
			running = spawn(st, stArgs(schema, base, options, reports, token), { cwd: ROOT, stdio: ["ignore", output, output] });
			const code = await new Promise<number | null>((resolve) => {
				running!.once("exit", resolve);
				running!.once("error", (err) => (console.error(`fuzz: ${err.message}`), resolve(null)));
			});
			running = undefined;
			if (typeof output === "number") fs.closeSync(output);
			const report = fs.existsSync(`${reports}.json`) ? (JSON.parse(fs.readFileSync(`${reports}.json`, "utf8")) as JsonReport) : undefined;
			const events = fs.existsSync(`${reports}.ndjson`) ? fs.readFileSync(`${reports}.ndjson`, "utf8") : "";
			const pass = summarizePass(name, code, report, events);
			passes.push(pass);
			if (options.quiet) {
				console.log(`fuzz: ${name}: Schemathesis's output in ${path.relative(ROOT, reports)}.log`);
				// What a failing pass printed belongs in the CI log; a passing one's thousands of lines do not.
				if (pass.problems.length > 0) console.log(fs.readFileSync(`${reports}.log`, "utf8").split("\n").slice(-150).join("\n"));
			}
			// The next passes would stop the same way (most often: the document does not load).
			if (!report?.complete) break;
		}

		console.log(`\nfuzz: reports in ${path.relative(ROOT, results)}/`);
		for (const pass of passes) console.log(formatSummary(pass));
		if (passes.length < 3) console.log(`the other ${3 - passes.length} passes were not run: the last one stopped early`);
		const passed = passes.filter((pass) => pass.problems.length === 0).length;
		console.log(`fuzz: ${passed} passed, ${3 - passed} failed`);
		if (passed < 3) process.exitCode = 1;
	} finally {
		await cleanUp();
	}
}

main().catch((err: unknown) => {
	console.error(`\nfuzz: ${(err as Error).message}`);
	process.exit(1);
});
