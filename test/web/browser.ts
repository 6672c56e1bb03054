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

/** A full-page screenshot at each width, under test-results/, for a person to look at. */
export async function screenshots(page: Page, name: string): Promise<void> {
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	const before = page.viewportSize();
	for (const [width, size] of Object.entries(VIEWPORTS)) {
		await page.setViewportSize(size);
		await page.screenshot({ path: path.join(RESULTS_DIR, `${name}-${width}.png`), fullPage: true });
	}
	if (before) await page.setViewportSize(before);
}
