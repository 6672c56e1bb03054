import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { startShop, type TestShop } from "../helpers/shop";

const run = promisify(execFile);

/** The README's curl examples, between their markers, exactly as a reader would paste them. */
function readmeExamples(): string {
	const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
	const block = /<!-- curl-examples:start -->\s*```sh\n([\s\S]*?)```\s*<!-- curl-examples:end -->/.exec(readme);
	if (!block) throw new Error("README has no curl-examples block");
	return block[1]!;
}

describe("README", () => {
	let shop: TestShop;
	beforeAll(async () => {
		// The README logs in with the development defaults, so the shop runs with them here too.
		shop = await startShop({ env: { ADMIN_EMAIL: "admin@shop.local", ADMIN_PASSWORD: "admin-password-dev" } });
	});
	afterAll(() => shop.destroy());

	it("curl examples work as written", async () => {
		const port = new URL(shop.baseUrl).port;
		const script = readmeExamples().replaceAll("localhost:3000", `localhost:${port}`);
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
