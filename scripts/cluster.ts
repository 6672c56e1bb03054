import { SERVICE_NAMES, parseScale, readInfraEnv, startNode, stopNode, type NodeProcess } from "./cluster-lib";

/*
 * `npm run cluster -- --scale payments=2`: one process per service (and replica) against the
 * servers from `npm run infra:up`. Stays in the foreground; Ctrl-C or SIGTERM stops every node
 * it started, each with its graceful shutdown.
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
	const nodes: NodeProcess[] = [];
	let stopping = false;
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

	const shutdown = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`cluster: ${signal} received, stopping ${nodes.length} node(s)`);
		await Promise.all(nodes.map((node) => stopNode(node)));
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
