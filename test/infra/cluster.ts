import { SERVICE_NAMES, readInfraEnv, startNode, stopNode, type NodeProcess, type ServiceName } from "../../scripts/cluster-lib";

/** A multi-process cluster of the shop for one test file, on the servers from `npm run infra:up`. */
export class TestCluster {
	readonly nodes: NodeProcess[] = [];
	readonly log: string[] = [];
	readonly baseUrl: string;

	constructor(
		private readonly env: Record<string, string>,
		readonly port: number,
	) {
		this.baseUrl = `http://127.0.0.1:${port}/api`;
	}

	static infraEnv(): Record<string, string> {
		const env = { ...readInfraEnv() };
		for (const name of ["NATS_URL", "KAFKA_BROKERS", "MONGO_URI"]) {
			if (process.env[name]) env[name] = process.env[name]!;
			if (!env[name]) throw new Error(`${name} is not set: run \`npm run infra:up\` first`);
		}
		return env;
	}

	start(service: ServiceName, replica = 1): NodeProcess {
		const node = startNode(service, replica, {
			env: { ...this.env, PORT: String(this.port), LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? "info" },
			onLine: (line) => {
				this.log.push(line);
				if (process.env.CLUSTER_LOG) console.log(line);
			},
		});
		this.nodes.push(node);
		return node;
	}

	async startAll(scale: Partial<Record<ServiceName, number>> = {}): Promise<void> {
		for (const service of SERVICE_NAMES) for (let replica = 1; replica <= (scale[service] ?? 1); replica++) this.start(service, replica);
		await this.waitHealthy();
	}

	/** Until the gateway reports every service available. */
	async waitHealthy(timeoutMs = 90_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			try {
				const res = await fetch(`${this.baseUrl}/health`);
				if (res.status === 200) return;
			} catch {
				// Not listening yet.
			}
			if (Date.now() > deadline) throw new Error(`cluster not healthy in ${timeoutMs} ms:\n${this.log.slice(-40).join("\n")}`);
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	running(service: ServiceName): NodeProcess[] {
		return this.nodes.filter((node) => node.service === service && node.child.exitCode === null && node.child.signalCode === null);
	}

	async stop(node: NodeProcess): Promise<void> {
		await stopNode(node);
	}

	async stopAll(): Promise<void> {
		await Promise.all(this.nodes.map((node) => stopNode(node)));
	}
}
