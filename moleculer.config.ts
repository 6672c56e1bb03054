import os from "node:os";
import type { BrokerOptions } from "moleculer";
import { loadConfig } from "./lib/env";
import { HealthMiddleware } from "./lib/health";

/*
 * Broker settings. Every value below can be overridden without a rebuild through
 * moleculer-runner's MOL_ variables, e.g. MOL_REQUEST_TIMEOUT=5000 or MOL_RETRY_POLICY__RETRIES=5.
 * Everything that is not a broker setting comes from lib/env.ts.
 */
const config = loadConfig();

const brokerConfig: BrokerOptions = {
	// Nodes only see nodes of the same namespace on a shared transporter.
	namespace: "shop",
	// Unique per process so replicas on one host do not collide.
	nodeID: `${os.hostname().toLowerCase()}-${process.pid}`,

	logger: {
		type: "Console",
		options: {
			level: config.logLevel,
			// JSON lines for log shippers in production; short coloured text for a person.
			formatter: config.logFormat === "json" ? "json" : "short",
			colors: config.logFormat !== "json",
			moduleColors: config.logFormat !== "json",
		},
	},

	// No transporter means one process with every service in it (the embedded default).
	transporter: config.natsUrl ? { type: "NATS", options: { url: config.natsUrl } } : null,

	// Moleculer's default of 0 lets a call to a dead node hang forever; 10 s bounds every call.
	requestTimeout: 10 * 1000,
	// Retries only errors marked retryable (timeouts, unavailable nodes, STORE_UNAVAILABLE); the
	// actions that move stock or money are idempotent, so a retried call cannot apply twice.
	retryPolicy: { enabled: true, retries: 3, delay: 100, maxDelay: 2000, factor: 2 },
	// Stops sending to an endpoint where half the calls of the last minute failed (given at least 20),
	// and tries it again after 10 s; client errors (4xx) do not count as failures.
	circuitBreaker: {
		enabled: true,
		threshold: 0.5,
		minRequestCount: 20,
		windowTime: 60,
		halfOpenTime: 10 * 1000,
		check: (err: Error & { code?: number }) => !err.code || err.code >= 500,
	},
	// At most 100 concurrent calls per action on a node, 1000 queued; beyond that callers get
	// QueueIsFullError at once instead of the node running out of memory.
	bulkhead: { enabled: true, concurrency: 100, maxQueueSize: 1000 },
	// Round-robin over replicas, but a local instance wins, saving a network hop.
	registry: { strategy: "RoundRobin", preferLocal: true },

	// Every action declares its params; fastest-validator checks them before the handler runs.
	validator: true,
	// On SIGTERM (moleculer-runner stops the broker): first tell the other nodes to send nothing
	// more, then wait up to 10 s for in-flight requests before stopping services. Orchestrators
	// must allow more than this before they kill (k8s terminationGracePeriodSeconds is 30).
	tracking: { enabled: true, shutdownTimeout: 10 * 1000 },

	// With HEALTH_PORT set, /livez and /readyz of this node (lib/health.ts).
	middlewares: config.healthPort ? [HealthMiddleware(config.healthPort)] : [],
};

export default brokerConfig;
