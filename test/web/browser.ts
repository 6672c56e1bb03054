import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/*
 * The browser the web tests drive: Debian's chromium (CHROMIUM_PATH to use another), headless.
 * playwright-core brings no browser of its own, so nothing is downloaded.
 */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const RESULTS_DIR = path.join(__dirname, "../../test-results");

export const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

export async function launchBrowser(): Promise<Browser> {
	if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`No Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`);
	// --no-sandbox: CI and these machines run as root, where Chromium's sandbox refuses to start.
	return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox"] });
}

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
	id: string;
	impact: string | null;
	help: string;
	nodes: { target: string[] }[];
}

/**
 * axe-core's checks on the page as it is now: the violations rated serious or critical, one line
 * each. axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
 * does not apply to, so the journeys run with the policy the shop really sends.
 */
export async function seriousViolations(page: Page): Promise<string[]> {
	await page.evaluate(AXE_SOURCE);
	const violations = await page.evaluate(async () => {
		// globalThis, not window: this file is compiled with the server's tsconfig, which has no DOM types.
		const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
		return (await axe.run()).violations;
	});
	return violations
		.filter((violation) => violation.impact === "serious" || violation.impact === "critical")
		.map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}

/**
 * A full-page screenshot at each width, under test-results/, for a person to look at, and
 * axe's checks at each width: a serious violation fails the journey.
 */
export async function screenshots(page: Page, name: string): Promise<void> {
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	const before = page.viewportSize();
	for (const [width, size] of Object.entries(VIEWPORTS)) {
		await page.setViewportSize(size);
		await page.screenshot({ path: path.join(RESULTS_DIR, `${name}-${width}.png`), fullPage: true });
		const violations = await seriousViolations(page);
		if (violations.length > 0) throw new Error(`axe on ${name} at the ${width} width:\n${violations.join("\n")}`);
	}
	if (before) await page.setViewportSize(before);
}

/** Where the README's pictures are kept (docs/screenshots/), refreshed by `README_SCREENSHOTS=1 npm run test:web`. */
export const README_SCREENSHOTS_DIR = path.join(__dirname, "../../docs/screenshots");

/**
 * With README_SCREENSHOTS=1, the page as it is now, at the desktop width and at most `height`
 * pixels tall, as a small JPEG for the README; otherwise nothing, so a test run leaves the
 * committed pictures alone.
 */
export async function readmeScreenshot(page: Page, name: string, height = 900): Promise<void> {
	if (process.env.README_SCREENSHOTS !== "1") return;
	fs.mkdirSync(README_SCREENSHOTS_DIR, { recursive: true });
	const before = page.viewportSize();
	await page.setViewportSize(VIEWPORTS.desktop);
	await page.screenshot({
		path: path.join(README_SCREENSHOTS_DIR, `${name}.jpg`),
		type: "jpeg",
		quality: 70,
		fullPage: true,
		clip: { x: 0, y: 0, width: VIEWPORTS.desktop.width, height },
	});
	if (before) await page.setViewportSize(before);
}
