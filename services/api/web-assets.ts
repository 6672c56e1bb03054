import { createHash } from "node:crypto";
import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { gzipSync } from "node:zlib";

/*
 * The web app (web/, built by Vite into web/dist) served by the gateway at /. The build is read
 * into memory once, when the gateway starts: a request can only ever get one of the files found
 * then, by an exact lookup, so nothing a client puts in a path (../, encoded slashes, a
 * backslash, NUL) reaches the disk, and a symlink in the folder is never followed.
 *
 * A path that names no file but looks like a page of the app (/products/42, /cart) answers
 * index.html, and the app's router shows the page; a path that looks like a file (it has a dot
 * in its last segment, or is under /assets/) answers 404, so a stale chunk name is a clear
 * failure rather than HTML parsed as a script. Paths under /api never get here (api.service.ts).
 */

/** The app talks only to its own origin and loads only its own files: no CDN, no inline script. */
export const WEB_CONTENT_SECURITY_POLICY =
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Vite puts its output, every name with a content hash, under assets/: a name never gets other bytes. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** index.html (and any unhashed file) names the hashed ones: a browser asks again each time, and gets 304 while it has not changed. */
const REVALIDATE = "no-cache";

const MEDIA_TYPES: Readonly<Record<string, string>> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json; charset=utf-8",
	".webmanifest": "application/manifest+json; charset=utf-8",
	".map": "application/json; charset=utf-8",
	".txt": "text/plain; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".jpg": "image/jpeg",
	".webp": "image/webp",
	".ico": "image/x-icon",
	".woff2": "font/woff2",
};

/** Worth compressing: text. Images and fonts are compressed already. */
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;

export interface WebFile {
	body: Buffer;
	/** The body gzipped, when that is smaller. */
	gzip?: Buffer;
	type: string;
	etag: string;
	cacheControl: string;
}

export interface WebApp {
	/** By URL path: `/index.html`, `/assets/index-3b1f0c2a.js`. */
	files: ReadonlyMap<string, WebFile>;
	index: WebFile;
}

function webFile(urlPath: string, body: Buffer): WebFile {
	const type = MEDIA_TYPES[path.extname(urlPath).toLowerCase()] ?? "application/octet-stream";
	const zipped = COMPRESSIBLE.test(type) ? gzipSync(body, { level: 9 }) : undefined;
	return {
		body,
		...(zipped && zipped.length < body.length ? { gzip: zipped } : {}),
		type,
		etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`,
		cacheControl: urlPath.startsWith("/assets/") ? IMMUTABLE : REVALIDATE,
	};
}

function walk(root: string, relative: string, files: Map<string, WebFile>): void {
	for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
		// Dotfiles (Vite's .vite/manifest.json) are the build's notes, not the site.
		if (entry.name.startsWith(".")) continue;
		const urlPath = `${relative}/${entry.name}`;
		// A Dirent describes the entry itself: a symlink is neither, and is skipped.
		if (entry.isDirectory()) walk(root, urlPath, files);
		else if (entry.isFile()) files.set(urlPath, webFile(urlPath, fs.readFileSync(path.join(root, urlPath))));
	}
}

/** The built app in `dir`, or undefined when there is none (no index.html): the gateway then serves only /api. */
export function loadWebApp(dir: string): WebApp | undefined {
	if (!fs.existsSync(path.join(dir, "index.html"))) return undefined;
	const files = new Map<string, WebFile>();
	walk(dir, "", files);
	const index = files.get("/index.html");
	return index ? { files, index } : undefined;
}

/**
 * A page of the app rather than a file: segments of URL-safe characters, none starting with a
 * dot, the last without a dot, and not under /assets/.
 */
const APP_ROUTE = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)*\/(?:[A-Za-z0-9_~-]+)?$/;

/** What a GET of `urlPath` (the path without its query) answers, or undefined for a 404. */
export function resolveWebPath(app: WebApp, urlPath: string): WebFile | undefined {
	let decoded: string;
	try {
		decoded = decodeURIComponent(urlPath);
	} catch {
		return undefined;
	}
	const file = app.files.get(decoded);
	if (file) return file;
	if (decoded.startsWith("/assets/")) return undefined;
	return APP_ROUTE.test(decoded) ? app.index : undefined;
}

function acceptsGzip(header: string | undefined): boolean {
	if (!header) return false;
	return header.split(",").some((part) => {
		const [coding, ...params] = part.trim().toLowerCase().split(";");
		const q = params.map((param) => param.trim()).find((param) => param.startsWith("q="));
		return coding === "gzip" && (q === undefined || Number(q.slice(2)) > 0);
	});
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
	if (!ifNoneMatch) return false;
	return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/** Answers a GET or HEAD with the file; the gateway's headers for every answer (nosniff, X-Request-Id…) are already set. */
export function sendWebFile(req: IncomingMessage, res: ServerResponse, file: WebFile): void {
	res.setHeader("Content-Security-Policy", WEB_CONTENT_SECURITY_POLICY);
	res.setHeader("Cache-Control", file.cacheControl);
	res.setHeader("Content-Type", file.type);
	res.setHeader("ETag", file.etag);
	res.setHeader("Vary", "Accept-Encoding");
	if (matches(req.headers["if-none-match"], file.etag)) {
		res.statusCode = 304;
		res.end();
		return;
	}
	const body = file.gzip && acceptsGzip(req.headers["accept-encoding"]) ? file.gzip : file.body;
	if (body === file.gzip) res.setHeader("Content-Encoding", "gzip");
	res.setHeader("Content-Length", body.length);
	res.statusCode = 200;
	res.end(req.method === "HEAD" ? undefined : body);
}
