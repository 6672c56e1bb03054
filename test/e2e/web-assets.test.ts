import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { startShop, type TestShop } from "../helpers/shop";

/*
 * The gateway serving the web app at /: a build of our own making (the real one needs Vite, and
 * what is tested here is the serving, not the app), with a secret beside the build folder and a
 * symlink inside it, so that a path escaping the folder would show.
 */

const INDEX = '<!doctype html><html lang="en"><head><script type="module" src="/assets/index-AbCd1234.js"></script></head><body></body></html>';
const SCRIPT = `console.log(${JSON.stringify("shop ".repeat(400))});`;
const SECRET = "top-secret-beside-the-build";

interface Answer {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	text: string;
}

/** node:http as is: fetch and URL would normalise `..` and `%2e%2e` away before they reach the server. */
function request(port: number, urlPath: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, path: urlPath, method, headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on("data", (chunk: Buffer) => chunks.push(chunk));
			res.on("end", () => {
				const body = Buffer.concat(chunks);
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8") });
			});
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end();
	});
}

function makeBuild(): { root: string; webDir: string } {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), "shop-web-"));
	const webDir = path.join(root, "dist");
	fs.mkdirSync(path.join(webDir, "assets"), { recursive: true });
	fs.mkdirSync(path.join(webDir, ".vite"));
	fs.writeFileSync(path.join(webDir, "index.html"), INDEX);
	fs.writeFileSync(path.join(webDir, "assets", "index-AbCd1234.js"), SCRIPT);
	fs.writeFileSync(path.join(webDir, "assets", "index-XyZ98765.css"), "body{margin:0}");
	fs.writeFileSync(path.join(webDir, "favicon.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
	fs.writeFileSync(path.join(webDir, ".vite", "manifest.json"), "{}");
	fs.writeFileSync(path.join(root, "secret.txt"), SECRET);
	fs.symlinkSync(path.join(root, "secret.txt"), path.join(webDir, "link.txt"));
	fs.symlinkSync(root, path.join(webDir, "up"));
	return { root, webDir };
}

describe("the web app at /", () => {
	let shop: TestShop;
	let port: number;
	let root: string;

	beforeAll(async () => {
		const build = makeBuild();
		root = build.root;
		shop = await startShop({ services: ["api"], env: { WEB_DIR: build.webDir } });
		port = Number(new URL(shop.baseUrl).port);
	});

	afterAll(async () => {
		await shop?.destroy();
		fs.rmSync(root, { recursive: true, force: true });
	});

	it("answers index.html at /, to be revalidated, with the app's security headers", async () => {
		const res = await request(port, "/");
		expect(res.status).toBe(200);
		expect(res.text).toBe(INDEX);
		expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
		expect(res.headers["cache-control"]).toBe("no-cache");
		expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
		expect(res.headers["x-content-type-options"]).toBe("nosniff");
		expect(res.headers["referrer-policy"]).toBe("no-referrer");
		expect(res.headers["x-request-id"]).toBeTruthy();
		const csp = String(res.headers["content-security-policy"]);
		expect(csp).toContain("script-src 'self'");
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).not.toContain("unsafe-inline");
	});

	it("answers index.html for a deep link to a page of the app, so the app's router shows it", async () => {
		for (const page of ["/products/3f1c2b9e-8a4d-4c1e-9f7a-2b6d5e8c1a90", "/cart", "/orders/abc/", "/login?next=%2Fcart"]) {
			const res = await request(port, page);
			expect({ page, status: res.status, text: res.text }).toEqual({ page, status: 200, text: INDEX });
		}
	});

	it("never shadows /api: an unknown API path stays the JSON 404", async () => {
		for (const apiPath of ["/api/unknown", "/api/products/x/y/z", "/api/cart.html"]) {
			const res = await request(port, apiPath);
			expect(res.status).toBe(404);
			expect(res.headers["content-type"]).toMatch(/^application\/json/);
			expect(JSON.parse(res.text)).toEqual({ error: { type: "NOT_FOUND", message: "Not found", code: 404 } });
		}
		const health = await request(port, "/api/health");
		expect(health.headers["content-type"]).toMatch(/^application\/json/);
	});

	it("serves hashed files as immutable, with their media types, and 304 for a tag the client has", async () => {
		const script = await request(port, "/assets/index-AbCd1234.js");
		expect(script.status).toBe(200);
		expect(script.text).toBe(SCRIPT);
		expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
		expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
		const again = await request(port, "/assets/index-AbCd1234.js", { "if-none-match": String(script.headers.etag) });
		expect(again.status).toBe(304);
		expect(again.body.length).toBe(0);

		expect((await request(port, "/assets/index-XyZ98765.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
		const icon = await request(port, "/favicon.svg");
		expect(icon.headers["content-type"]).toBe("image/svg+xml");
		expect(icon.headers["cache-control"]).toBe("no-cache");
	});

	it("gzips text for a client that takes it, and not for one that refuses it", async () => {
		const zipped = await request(port, "/assets/index-AbCd1234.js", { "accept-encoding": "gzip, br" });
		expect(zipped.headers["content-encoding"]).toBe("gzip");
		expect(zipped.headers.vary).toBe("Accept-Encoding");
		expect(gunzipSync(zipped.body).toString("utf8")).toBe(SCRIPT);
		const plain = await request(port, "/assets/index-AbCd1234.js", { "accept-encoding": "gzip;q=0, identity" });
		expect(plain.headers["content-encoding"]).toBeUndefined();
		expect(plain.text).toBe(SCRIPT);
	});

	it("answers HEAD with the headers and no body", async () => {
		const res = await request(port, "/", {}, "HEAD");
		expect(res.status).toBe(200);
		expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(INDEX)));
		expect(res.body.length).toBe(0);
	});

	it("answers 404, not index.html, for a file that is not in the build", async () => {
		for (const missing of ["/assets/index-00000000.js", "/assets/nothing", "/robots.txt", "/cart.html"]) {
			const res = await request(port, missing);
			expect({ missing, status: res.status }).toEqual({ missing, status: 404 });
			expect(res.headers["content-type"]).toMatch(/^application\/json/);
		}
	});

	it("never reaches outside the build folder, nor its dotfiles, nor through a symlink", async () => {
		const attempts = [
			"/../package.json",
			"/../../package.json",
			"/..%2fpackage.json",
			"/%2e%2e/package.json",
			"/%2e%2e%2f%2e%2e%2fpackage.json",
			"/assets/../../package.json",
			"/assets/..%2f..%2fsecret.txt",
			"/..%5csecret.txt",
			"/../secret.txt",
			"//etc/passwd",
			"/%00",
			"/%E0%A4%A",
			"/.vite/manifest.json",
			"/link.txt",
			"/up/secret.txt",
			"/up/dist/index.html",
		];
		const secretPackage = fs.readFileSync(path.join(__dirname, "../../package.json"), "utf8");
		for (const attempt of attempts) {
			const res = await request(port, attempt);
			expect({ attempt, status: res.status }).toEqual({ attempt, status: 404 });
			expect(res.text).not.toContain(SECRET);
			expect(res.text).not.toContain(secretPackage.slice(0, 40));
		}
	});

	it("leaves other methods to the gateway: a POST to a page is the JSON 404", async () => {
		const res = await request(port, "/cart", { "content-type": "application/json" }, "POST");
		expect(res.status).toBe(404);
		expect(res.headers["content-type"]).toMatch(/^application\/json/);
	});
});

describe("the gateway without a web build", () => {
	let shop: TestShop;
	let empty: string;

	beforeAll(async () => {
		empty = fs.mkdtempSync(path.join(os.tmpdir(), "shop-web-empty-"));
		shop = await startShop({ services: ["api"], env: { WEB_DIR: empty } });
	});

	afterAll(async () => {
		await shop?.destroy();
		fs.rmSync(empty, { recursive: true, force: true });
	});

	it("answers / with the JSON 404, as before there was an app", async () => {
		const res = await request(Number(new URL(shop.baseUrl).port), "/");
		expect(res.status).toBe(404);
		expect(JSON.parse(res.text)).toEqual({ error: { type: "NOT_FOUND", message: "Not found", code: 404 } });
	});
});
