import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { configVariableNames } from "../../lib/env";
import { startShop, type TestShop } from "../helpers/shop";

const run = promisify(execFile);

const ROOT = path.join(__dirname, "../..");
const DOCS = path.join(ROOT, "docs");
/** The pages a reader goes through: the README, the architecture and every page of docs/. */
const PAGES = [
	"README.md",
	"ARCHITECTURE.md",
	...fs
		.readdirSync(DOCS)
		.filter((name) => name.endsWith(".md"))
		.map((name) => `docs/${name}`),
];
/** The README is the front door: short enough to read in one go, the rest is in docs/. */
const README_MAX_LINES = 300;
/** The first screen of the README, where a newcomer must find the commands and the way to every page. */
const FIRST_SCREEN_LINES = 40;

const read = (page: string): string => fs.readFileSync(path.join(ROOT, page), "utf8");

/** The API walk-through's curl examples (docs/api.md), between their markers, exactly as a reader would paste them. */
function curlExamples(): string {
	const block = /<!-- curl-examples:start -->\s*```sh\n([\s\S]*?)```\s*<!-- curl-examples:end -->/.exec(read("docs/api.md"));
	if (!block) throw new Error("docs/api.md has no curl-examples block");
	return block[1]!;
}

/** Markdown without its code: fenced blocks and inline code hold examples, not links or headings. */
function prose(markdown: string): string {
	return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
	const seen = new Map<string, number>();
	const result = new Set<string>();
	for (const [, heading] of markdown.replace(/^```[\s\S]*?^```/gm, "").matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
		const base = heading!
			.toLowerCase()
			.replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, "")
			.replace(/ /g, "-");
		const count = seen.get(base) ?? 0;
		seen.set(base, count + 1);
		result.add(count === 0 ? base : `${base}-${count}`);
	}
	return result;
}

/** Every relative link of a page (to a file, a file's heading, or a heading of its own) that leads nowhere. */
function brokenLinks(page: string): string[] {
	const broken: string[] = [];
	for (const [, target] of prose(read(page)).matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)) {
		if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue;
		const [file, anchor] = target!.split("#") as [string, string | undefined];
		const resolved = file === "" ? page : path.posix.join(path.posix.dirname(page), decodeURIComponent(file));
		if (!fs.existsSync(path.join(ROOT, resolved))) {
			broken.push(`${target} (no ${resolved})`);
		} else if (anchor !== undefined && resolved.endsWith(".md") && !anchors(read(resolved)).has(anchor)) {
			broken.push(`${target} (no heading #${anchor} in ${resolved})`);
		}
	}
	return broken;
}

describe("the README and docs/", () => {
	it(`keep the README at most ${README_MAX_LINES} lines`, () => {
		expect(read("README.md").split("\n").length).toBeLessThanOrEqual(README_MAX_LINES);
	});

	it("give the two commands and a link to every page of docs/ on the README's first screen", () => {
		const firstScreen = read("README.md").split("\n").slice(0, FIRST_SCREEN_LINES).join("\n");
		expect(firstScreen).toContain("npm install && npm start");
		expect(firstScreen).toMatch(/^npm test\b/m);
		for (const page of PAGES.filter((name) => name.startsWith("docs/")).concat("ARCHITECTURE.md")) {
			expect(firstScreen).toContain(`](${page})`);
		}
	});

	it.each(PAGES)("%s: every relative link leads to a file and heading that exist", (page) => {
		expect(brokenLinks(page)).toEqual([]);
	});

	it("document every variable lib/env.ts reads in docs/configuration.md", () => {
		const documented = new Set<string>();
		for (const row of read("docs/configuration.md").matchAll(/^\|([^|\n]*)\|/gm)) {
			for (const [, name] of row[1]!.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) documented.add(name!);
		}
		expect(configVariableNames().filter((name) => !documented.has(name))).toEqual([]);
	});
});

describe("the API walk-through (docs/api.md)", () => {
	let shop: TestShop;
	beforeAll(async () => {
		// The walk-through logs in with the development defaults, so the shop runs with them here too.
		shop = await startShop({ env: { ADMIN_EMAIL: "admin@shop.local", ADMIN_PASSWORD: "admin-password-dev" } });
	});
	afterAll(() => shop.destroy());

	it("curl examples work as written", async () => {
		const port = new URL(shop.baseUrl).port;
		const script = curlExamples().replaceAll("localhost:3000", `localhost:${port}`);
		// Every curl also reports its status on stderr, so the test can check each answer
		// without changing what the examples pipe into each other.
		const traced = `curl() { command curl -w '%{stderr}status %{http_code}\\n' "$@"; }\nset -euo pipefail\n${script}`;
		const { stdout, stderr } = await run("bash", ["-c", traced], { timeout: 60_000 });
		const statuses = [...stderr.matchAll(/^status (\d{3})$/gm)].map((match) => Number(match[1]));
		expect(statuses).toEqual([
			201, 200, 200, 200, 200, 200, 200, 200, 200, 201, 200, 200, 200, 403, 200, 200, 201, 201, 200, 200, 200, 409, 201, 200, 200, 200, 200, 201, 200,
		]);
		expect(stdout).toContain('"type":"ROLE_FORBIDDEN"');
		// The order sent again with its Idempotency-Key is the same order, answered as a replay.
		expect(stdout).toMatch(/^idempotent-replayed: true\r?$/im);
		// The quote offers the options that reach London, each under the id an order names.
		expect(stdout).toMatch(/"options":\[\{"id":"standard:\d+","optionId":"standard"/);
		// The saga ran to its end between the order and the first look at it; its cancel was refused.
		expect(stdout).toMatch(/"status":"CONFIRMED"/);
		expect(stdout).toMatch(/"tracking":\{"carrier":/);
		expect(stdout).toMatch(/"kind":"order.confirmed"/);
		expect(stdout).toMatch(/"type":"ORDER_ALREADY_LABELLED"/);
		// The slow carrier's order was cancelled before its label and refunded.
		expect(stdout).toMatch(/"reason":"PAYMENT_REFUNDED"/);
		// The cart held the line at its price, then the checkout placed the order and emptied it.
		expect(stdout).toMatch(/"qty":2,"unitPriceCents":\d+,"addedUnitPriceCents":\d+,"currency":"EUR","lineTotalCents":\d+,"active":true/);
		expect(stdout.trimEnd()).toMatch(/"lines":\[\],"totalCents":0,"itemCount":0,"updatedAt":"[^"]+"\}$/);
	});
});

describe("observability/alerts.yml", () => {
	type Rule = { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
	type AlertTest = { alertname: string; exp_alerts?: unknown[] | null };
	const alerts = (parse(read("observability/alerts.yml")) as { groups: { rules: Rule[] }[] }).groups.flatMap((group) =>
		group.rules.filter((rule) => rule.alert),
	);
	const tests = (parse(read("observability/alerts.test.yml")) as { tests: { alert_rule_test?: AlertTest[] }[] }).tests.flatMap(
		(test) => test.alert_rule_test ?? [],
	);

	it("gives every alert a severity, a summary, a description and a runbook section that exists", () => {
		expect(alerts.length).toBeGreaterThan(15);
		const runbook = anchors(read("docs/runbook.md"));
		const faults = alerts.flatMap((rule) => {
			const { severity } = rule.labels ?? {};
			const { summary, description, runbook_url: url } = rule.annotations ?? {};
			const anchor = url?.startsWith("docs/runbook.md#") ? url.slice("docs/runbook.md#".length) : undefined;
			return [
				...(severity === "critical" || severity === "warning" ? [] : [`${rule.alert}: severity ${severity}`]),
				...(summary && description ? [] : [`${rule.alert}: no summary or description`]),
				...(anchor && runbook.has(anchor) ? [] : [`${rule.alert}: runbook_url ${url} has no section`]),
			];
		});
		expect(faults).toEqual([]);
	});

	it("has a promtool test firing every alert and one where it stays silent (alerts.test.yml)", () => {
		const fired = new Set(tests.filter((test) => (test.exp_alerts ?? []).length > 0).map((test) => test.alertname));
		const silent = new Set(tests.filter((test) => (test.exp_alerts ?? []).length === 0).map((test) => test.alertname));
		expect(alerts.map((rule) => rule.alert!).filter((name) => !fired.has(name) || !silent.has(name))).toEqual([]);
	});
});
