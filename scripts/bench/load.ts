import autocannon from "autocannon";

/*
 * One load run in a process of its own, forked by bench.ts for every run: each target meets a
 * fresh load generator, not one still carrying the garbage of the 60,000 requests a second it
 * made against the previous target.
 */

export interface LoadRequest {
	url: string;
	paths: string[];
	connections: number;
	seconds: number;
	headers: Record<string, string>;
}

export interface LoadResult {
	requests: number;
	errors: number;
	p50Ms: number;
	p99Ms: number;
}

async function run(request: LoadRequest): Promise<void> {
	const result = await autocannon({
		url: request.url,
		connections: request.connections,
		duration: request.seconds,
		headers: request.headers,
		requests: request.paths.map((path) => ({ method: "GET", path })),
	});
	const answer: LoadResult = {
		requests: result.requests.total,
		errors: result.errors + result.timeouts + result.non2xx,
		p50Ms: result.latency.p50,
		p99Ms: result.latency.p99,
	};
	process.send!(answer, () => process.exit(0));
}

process.once("message", (request: LoadRequest) => void run(request));
