import http from "node:http";

/*
 * HTTP the way an attacker sends it: any method, any headers, any bytes, a body on a GET. fetch
 * refuses most of that, so these tests speak node:http directly.
 */

export interface RawResponse {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	/** The body parsed as JSON, or undefined when it is not JSON. */
	json: any;
}

export interface RawRequest {
	method: string;
	/** Path under the shop's base URL, e.g. `/products?page=1`. */
	path: string;
	headers?: Record<string, string | number>;
	body?: string | Buffer;
	/** Send the body in chunks without a Content-Length. */
	chunked?: boolean;
}

export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
	const url = new URL(baseUrl + request.path);
	const headers: Record<string, string | number> = { ...request.headers };
	if (request.body !== undefined && headers["content-length"] === undefined) {
		// node:http frames a GET's body only when told to.
		if (request.chunked) headers["transfer-encoding"] = "chunked";
		else headers["content-length"] = Buffer.byteLength(request.body);
	}
	return new Promise((resolve, reject) => {
		const req = http.request(
			{ host: url.hostname, port: url.port, path: url.pathname + url.search, method: request.method, headers, agent: false },
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (chunk: Buffer) => chunks.push(chunk));
				res.on("end", () => {
					const text = Buffer.concat(chunks).toString("utf8");
					let json: unknown;
					try {
						json = text ? JSON.parse(text) : undefined;
					} catch {
						json = undefined;
					}
					resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
				});
				res.on("error", reject);
			},
		);
		// A server that answers early (413) may close before the whole body is written.
		req.on("error", reject);
		if (request.body !== undefined) req.write(request.body);
		req.end();
	});
}

/** `depth` levels of `{"a": … }` (or `[ … ]`) around a value: a small text that recurses deeply. */
export function nested(depth: number, kind: "object" | "array", inner = "1"): string {
	return kind === "object" ? '{"a":'.repeat(depth) + inner + "}".repeat(depth) : "[".repeat(depth) + inner + "]".repeat(depth);
}

export const JSON_TYPE = { "content-type": "application/json" };
