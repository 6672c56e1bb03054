import os from "node:os";
import type { BrokerOptions } from "moleculer";
import { loadConfig, type ShopConfig } from "./lib/env";
import { FailoverMiddleware } from "./lib/failover";
import { HealthMiddleware } from "./lib/health";
import { loggerOptions } from "./lib/logging";
import { metricsOptions, ShopMetricsMiddleware } from "./lib/metrics";
import { REPL_COMMANDS } from "./lib/repl-commands";
import { WorkContextMiddleware } from "./lib/trace-context";
import { tracingOptions } from "./lib/tracing";
import { ShopValidator } from "./lib/validator";

/*
 * Broker settings. Every value below can be overridden without a rebuild through
 * moleculer-runner's MOL_ variables, e.g. MOL_REQUEST_TIMEOUT=5000 or MOL_RETRY_POLICY__RETRIES=5.
 * Everything that is not a broker setting comes from lib/env.ts.
 */
export function createBrokerConfig(config: ShopConfig): BrokerOptions {
	return {
		// Nodes only see nodes of the same namespace on a shared transporter.
		namespace: "shop",
		// Unique per process so replicas on one host do not collide.
		nodeID: `${os.hostname().toLowerCase()}-${process.pid}`,

		// LOG_FORMAT=json: one JSON object per line with the request, trace and order it is about.
		logger: loggerOptions(config),

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

		// In-process and bounded (least recently used entries go first); the catalogue caches its
		// public reads on it and keeps it fresh itself (lib/read-cache.ts), every replica its own.
		cacher: config.catalogue.cacheTtlSeconds > 0 ? { type: "MemoryLRU", options: { max: config.catalogue.cacheMaxEntries } } : null,

		// Every action declares its params; fastest-validator checks them before the handler runs,
		// refusing null wherever a rule does not allow it and counting characters, not UTF-16 units
		// (lib/validator.ts).
		validator: new ShopValidator(),
		// On SIGTERM (moleculer-runner stops the broker): first tell the other nodes to send nothing
		// more, then wait up to 10 s for in-flight requests before stopping services. Orchestrators
		// must allow more than this before they kill (k8s terminationGracePeriodSeconds is 30).
		tracking: { enabled: true, shutdownTimeout: 10 * 1000 },

		// Spans to Zipkin when ZIPKIN_URL is set (lib/tracing.ts); Prometheus on METRICS_PORT.
		tracing: tracingOptions(config),
		metrics: metricsOptions(config),

		// The operator's commands at `npm run repl` (saga, stuck, dlq, redrive; lib/repl-commands.ts).
		replOptions: { customCommands: REPL_COMMANDS },

		middlewares: [
			WorkContextMiddleware(),
			ShopMetricsMiddleware(),
			// A node that dies without a word is out of rotation within a second (lib/failover.ts).
			FailoverMiddleware(config.failover),
			// With HEALTH_PORT set, /livez and /readyz of this node (lib/health.ts).
			...(config.healthPort ? [HealthMiddleware(config.healthPort)] : []),
		],
	};
}

export default createBrokerConfig(loadConfig());
