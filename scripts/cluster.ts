import path from "node:path";
import {
	ROOT,
	SERVICE_NAMES,
	parseScale,
	paymentSandboxEnv,
	paymentSandboxHealthy,
	readInfraEnv,
	startNode,
	startPaymentSandbox,
	stopNode,
	waitUntil,
	type NodeProcess,
	type ShopProcess,
} from "./cluster-lib";

/*
 * `npm run cluster -- --scale payments=2`: one process per service (and replica) against the
 * servers from `npm run infra:up`, and the card processor sandbox as a process of its own (no
 * Moleculer node: the payments nodes reach it over HTTP, it calls the gateway's webhook
 * endpoint). Stays in the foreground; Ctrl-C or SIGTERM stops every node it started, each with
 * its graceful shutdown, then the sandbox.
 */

async function main(): Promise<void> {
	let scale;
	try {
		scale = parseScale(process.argv.slice(2));
	} catch (err) {
		console.error((err as Error).message);
		process.exit(2);
	}
	const env: Record<string, string | undefined> = { ...readInfraEnv(), ...pick(process.env, ["NATS_URL", "KAFKA_BROKERS", "MONGO_URI"]) };
	const missing = ["NATS_URL", "KAFKA_BROKERS", "MONGO_URI"].filter((name) => !env[name]);
	if (missing.length > 0) {
		console.error(`${missing.join(", ")} not set: run \`npm run infra:up\` first, or set them to your servers.`);
		process.exit(2);
	}

	const basePort = Number(process.env.PORT ?? 3000);
	// Every node answers /livez and /readyz on a port of its own, counting up from here.
	const baseHealthPort = Number(process.env.HEALTH_PORT ?? 3100);
	// And Prometheus's /metrics on one more.
	const baseMetricsPort = Number(process.env.METRICS_PORT ?? 3200);
	// The sandbox's own default (3100) is the first node's health port here: below those, above the gateways'.
	const sandboxPort = Number(process.env.PAYMENT_SANDBOX_PORT ?? basePort + 90);
	// Its books beside the nodes' local data (DATA_DIR, data/ by default), kept from one run to the next as the servers' are.
	const dataDir = path.resolve(ROOT, process.env.DATA_DIR ?? "data");
	// Its webhooks go to the first gateway: nothing here balances over several (a stopped one's are sent again once it is back).
	Object.assign(
		env,
		paymentSandboxEnv({
			port: sandboxPort,
			dataDir: path.join(dataDir, "payment-sandbox"),
			gatewayUrl: `http://127.0.0.1:${basePort}`,
			storefrontUrl: `http://localhost:${basePort}`,
		}),
	);

	const nodes: NodeProcess[] = [];
	let stopping = false;
	const sandbox: ShopProcess = startPaymentSandbox({ env, onLine: (line) => console.log(line) });
	console.log(
		`cluster: started ${sandbox.label} as pid ${sandbox.child.pid} (API ${env.PAYMENTS_PROCESSOR_URL}, 3-D Secure pages on ${env.PAYMENT_SANDBOX_PUBLIC_URL}, webhooks to ${env.PAYMENT_SANDBOX_WEBHOOK_URL}, books in ${env.PAYMENT_SANDBOX_DATA_DIR})`,
	);
	void sandbox.exited.then((code) => {
		if (!stopping) console.error(`cluster: ${sandbox.label} exited with code ${code}`);
	});
	for (const service of SERVICE_NAMES) {
		for (let replica = 1; replica <= scale[service]; replica++) {
			// Gateway replicas each need a port of their own on one host; a container would not.
			const port = service === "api" ? String(basePort + replica - 1) : undefined;
			const healthPort = baseHealthPort + nodes.length;
			const metricsPort = baseMetricsPort + nodes.length;
			const node = startNode(service, replica, {
				env: { ...env, ...(port ? { PORT: port } : {}) },
				healthPort,
				metricsPort,
				onLine: (line) => console.log(line),
			});
			nodes.push(node);
			const gateway = port ? `, gateway on http://localhost:${port}` : "";
			console.log(
				`cluster: started ${node.label} as pid ${node.child.pid} (health on http://localhost:${healthPort}/readyz, metrics on http://localhost:${metricsPort}/metrics${gateway})`,
			);
			void node.exited.then((code) => {
				if (!stopping) console.error(`cluster: ${node.label} exited with code ${code}`);
			});
		}
	}
	console.log(`cluster: ${nodes.length} node(s) over ${env.NATS_URL}, events on Kafka ${env.KAFKA_BROKERS}, data in ${env.MONGO_URI}`);
	void waitUntil("the payment sandbox", () => paymentSandboxHealthy(env.PAYMENTS_PROCESSOR_URL!), 60_000).then(
		() => console.log(`cluster: ${sandbox.label} answers on ${env.PAYMENTS_PROCESSOR_URL}/healthz`),
		(err: Error) => console.error(`cluster: ${err.message}`),
	);

	const shutdown = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`cluster: ${signal} received, stopping ${nodes.length} node(s) and the payment sandbox`);
		// The nodes first: a payments node drains its calls to the sandbox before the sandbox goes.
		await Promise.all(nodes.map((node) => stopNode(node)));
		await stopNode(sandbox);
		console.log("cluster: all nodes stopped");
		process.exit(0);
	};
	process.on("SIGINT", () => void shutdown("SIGINT"));
	process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
	return Object.fromEntries(names.filter((name) => env[name]).map((name) => [name, env[name]!]));
}

void main();
