import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

/*
 * The size check of the web build (`npm run build:web` runs it after Vite): the JavaScript the
 * storefront's first page loads, gzipped as the gateway sends it (services/api/web-assets.ts,
 * level 9), must stay within the budget of issue 17. "Loads" is the entry of index.html and every
 * chunk it imports statically, as Vite's manifest lists them; chunks imported lazily (a page
 * of the app loaded when it is visited) are not counted, since the first page does not wait for
 * them. It exits non-zero over the budget, which fails the build.
 *
 *   node dist/scripts/web/bundle-size.js [web/dist] [budget in bytes]
 */

export const FIRST_PAGE_BUDGET_BYTES = 150_000;

interface ManifestChunk {
	file: string;
	isEntry?: boolean;
	imports?: string[];
}

/** The files of the entry's static import graph, each once. */
export function firstPageScripts(manifest: Record<string, ManifestChunk>, entry = "index.html"): string[] {
	const seen = new Set<string>();
	const files: string[] = [];
	const visit = (key: string) => {
		if (seen.has(key)) return;
		seen.add(key);
		const chunk = manifest[key];
		if (!chunk) throw new Error(`The manifest has no chunk ${key}`);
		if (chunk.file.endsWith(".js")) files.push(chunk.file);
		for (const imported of chunk.imports ?? []) visit(imported);
	};
	visit(entry);
	return files;
}

function main(): void {
	const dist = path.resolve(process.argv[2] ?? "web/dist");
	const budget = Number(process.argv[3] ?? FIRST_PAGE_BUDGET_BYTES);
	const manifest = JSON.parse(fs.readFileSync(path.join(dist, ".vite", "manifest.json"), "utf8")) as Record<string, ManifestChunk>;
	let total = 0;
	for (const file of firstPageScripts(manifest)) {
		const bytes = fs.readFileSync(path.join(dist, file));
		const gzipped = gzipSync(bytes, { level: 9 }).length;
		total += gzipped;
		console.log(`bundle-size: ${file}: ${bytes.length} B, ${gzipped} B gzipped`);
	}
	const verdict = total <= budget ? "within" : "OVER";
	console.log(`bundle-size: first page ${total} B of gzipped JavaScript, ${verdict} the budget of ${budget} B`);
	if (total > budget) process.exit(1);
}

if (require.main === module) main();
