import path from "node:path";
import { EnvReader, type Env } from "./env-reader";

/*
 * The shop's configuration as one table: ShopConfig says what each setting means, readConfig
 * which variable it comes from, its default and its bounds. Long because it lists every
 * variable, a line or two each, in one place; how a value is read and checked is env-reader.ts's.
 */

/** Moleculer's log levels, most severe first: a level logs itself and everything before it. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether a node configured with `configured` writes lines of `level`. */
export function logsAt(configured: LogLevel, level: LogLevel): boolean {
	return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(configured);
}

/**
 * Every environment variable the shop reads, parsed once into a typed object. Unknown or
 * malformed values stop start-up with one message that lists all of them, so a typo in a
 * deployment is found before the first request rather than during it.
 */
export interface ShopConfig {
	nodeEnv: "development" | "test" | "production";
	isDevelopment: boolean;
	port: number;
	/** Liveness and readiness of this node on their own small HTTP server; absent when off. */
	healthPort?: number;
	/** Prometheus metrics of this node on /metrics at this port; absent when off. */
	metricsPort?: number;
	tracing: {
		/** Zipkin's base URL (or any collector that takes Zipkin's v2 JSON); tracing is on when set. */
		zipkinUrl?: string;
		/** Prints spans to the console, for development. */
		console: boolean;
		/** Share of new traces recorded, from 0 to 1; a trace that started elsewhere keeps its decision. */
		sampleRate: number;
		flushSeconds: number;
	};
	dataDir: string;
	natsUrl?: string;
	/** How a node finds out that another is gone before Moleculer's heartbeats say so (lib/failover.ts). */
	failover: {
		/** A call to another node unanswered this long makes this node ask NATS whether that node is still there. */
		probeAfterMs: number;
		/** A node that does not answer the question within this is taken for gone. */
		probeTimeoutMs: number;
	};
	mongoUri?: string;
	/** Put before each service's database name, so several shops (or a benchmark) can share one server. */
	mongoDbPrefix: string;
	/** Use a MongoDB-wire server whose updates are not atomic (FerretDB) instead of refusing it at start. */
	mongoAllowNonAtomic: boolean;
	/** When set, domain events go through Kafka (host:port list) instead of Moleculer's bus. */
	kafkaBrokers?: string[];
	/** A consumer that stops heartbeating this long (a killed node) loses its partitions to its replicas. */
	kafkaSessionTimeoutMs: number;
	/** Partitions of each shop topic a node creates when the topic is missing. */
	kafkaTopicPartitions: number;
	logFormat: "text" | "json";
	logLevel: LogLevel;
	jwt: {
		secret: string;
		/** True when no JWT_SECRET was given and the development default is used. */
		isDefaultSecret: boolean;
		ttlSeconds: number;
	};
	admin: {
		email: string;
		password: string;
		isDefaultPassword: boolean;
	};
	http: {
		/** The interface the gateway listens on: loopback unless HOST says otherwise (images set 0.0.0.0). */
		host: string;
		/** The largest request body the gateway reads, in bytes (BODY_LIMIT: 100kb, 1mb, 2048). */
		bodyLimitBytes: number;
		/** How long browsers and shared caches may keep a public catalogue read. */
		publicMaxAgeSeconds: number;
		corsOrigins: string[];
		/** When true the client address comes from X-Forwarded-For (only behind a proxy you run). */
		trustProxy: boolean;
		authRateLimitPerMinute: number;
		/** Live order streams (Server-Sent Events) one customer may hold open on one gateway node. */
		sseMaxStreamsPerCustomer: number;
		/** How often an open stream gets a heartbeat comment (and the node catches up on missed changes). */
		sseHeartbeatMs: number;
		/** The built web app (web/dist) the gateway serves at /; nothing is served there when it has no index.html. */
		webDir: string;
	};
	catalogue: {
		reservationTtlMs: number;
		reservationSweepMs: number;
		/** How long a product or page read may be served from the catalogue's cache; 0 turns it off. */
		cacheTtlSeconds: number;
		/** Entries one catalogue node keeps at most, least recently used dropped first. */
		cacheMaxEntries: number;
	};
	events: {
		/** How often the outbox relay looks for events a crash or a failed delivery left behind. */
		relayIntervalMs: number;
		/** Attempts at handling one event before it becomes a dead letter. */
		maxAttempts: number;
		retryBaseMs: number;
		/** A handler that has held an event this long is presumed dead and the event is retried. */
		claimTimeoutMs: number;
	};
	orders: {
		/** A saga step that has not moved on within this time cancels the order (reason TIMEOUT). */
		sagaStepTimeoutMs: number;
		sagaSweepMs: number;
		/** How long an Idempotency-Key is remembered: a retry after it places a new order. */
		idempotencyKeyTtlMs: number;
		/** How long after delivery a customer may ask to return lines (0: returns are not taken). */
		returnWindowMs: number;
	};
	payments: {
		/** The card processor's API (the sandbox in development: services/payment-sandbox). */
		processorUrl: string;
		/** The shop's secret key at the processor, sent on every call. */
		processorSecretKey: string;
		/** The secret the processor signs its webhooks with (Signature: t=…,v1=…). */
		webhookSecret: string;
		/** A processor call unanswered this long fails (and an idempotent one is tried again). */
		processorTimeoutMs: number;
		/** Consecutive failed calls after which the client stops calling the processor for a while… */
		breakerFailures: number;
		/** …this long, then lets one call through to see whether it is back. */
		breakerOpenMs: number;
		/** A payment the processor has said nothing of for this long is asked about (reconciliation). */
		reconcileAfterMs: number;
		/** Where the processor sends the customer back after a 3-D Secure confirmation; {orderId} is filled in. */
		returnUrl: string;
		/** How often a payments node looks for charges or refunds a dead node left half done, and payments to reconcile. */
		recoverySweepMs: number;
	};
	/** The card processor sandbox (services/payment-sandbox): its own server, its own books. */
	paymentSandbox: {
		port: number;
		/** Where a browser reaches it, for the 3-D Secure page. */
		publicUrl: string;
		/** Where it sends its webhooks: the shop gateway's POST /api/webhooks/payments. */
		webhookUrl: string;
		/** Its books (NeDB files); `$DATA_DIR/payment-sandbox` unless set. */
		dataDir?: string;
		/** How long the `tok_slow` card is processing, and the `tok_insufficient_funds` card authorised, before the outcome. */
		slowMs: number;
		/** How long a refund is pending before it succeeds. */
		refundMs: number;
		/** The first wait before a webhook that was not answered 2xx is sent again (doubling, to a minute). */
		webhookRetryMs: number;
		/** How webhooks are delivered at start (tests change it over the API): normal, late, twice, reorder or never. */
		webhookMode: WebhookMode;
		/** How late `late` delivers, and how long `reorder` gathers events before sending them newest first. */
		webhookDelayMs: number;
	};
	shipping: {
		/** A JSON rate table replacing the built-in one (services/shipping/rate-table.ts); checked at start. */
		rateTableFile?: string;
		/** A carrier call unanswered this long fails; the booking is tried again. */
		carrierTimeoutMs: number;
		/** How long the carrier sandbox takes to answer for its slow postal code. */
		carrierSlowMs: number;
		/** After booking, when the carrier sandbox collects the parcel (IN_TRANSIT)… */
		dispatchAfterMs: number;
		/** …and when it delivers it (DELIVERED). */
		deliverAfterMs: number;
		/** How often a shipping node asks the carrier about parcels on their way, and finishes bookings a dead node left. */
		sweepMs: number;
		/** How often a parcel on its way is asked about. */
		trackEveryMs: number;
	};
	notifications: {
		smtpUrl?: string;
		mailFrom: string;
	};
}

export class ConfigError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
		this.name = "ConfigError";
	}
}

const DEV_JWT_SECRET = "development-only-jwt-secret-do-not-use-in-production";
const DEV_ADMIN_EMAIL = "admin@shop.local";
const DEV_ADMIN_PASSWORD = "admin-password-dev";
const DEV_PROCESSOR_SECRET_KEY = "sk_test_development_only";
const DEV_WEBHOOK_SECRET = "whsec_development_only";
const MIN_SECRET_BYTES = 32;

/**
 * Variables that have no safe default outside development: a deployment must set them, and the
 * deployment-file tests check that every deployment does.
 */
export const REQUIRED_IN_PRODUCTION = ["JWT_SECRET", "ADMIN_PASSWORD", "PAYMENTS_PROCESSOR_SECRET_KEY", "PAYMENTS_WEBHOOK_SECRET"] as const;

/** How the payment sandbox delivers its webhooks (a test switch): as they happen, late, each twice, newest first, or not at all. */
export const WEBHOOK_MODES = ["normal", "late", "twice", "reorder", "never"] as const;
export type WebhookMode = (typeof WEBHOOK_MODES)[number];

export function loadConfig(env: Env = process.env): ShopConfig {
	const { config, problems } = readConfig(env);
	if (problems.length > 0) throw new ConfigError(problems);
	return config;
}

/** Every variable the shop reads, so deployment files can be checked for names it would ignore. */
export function configVariableNames(): string[] {
	return [...readConfig({}).names].sort();
}

function readConfig(env: Env): { config: ShopConfig; problems: string[]; names: Set<string> } {
	const read = new EnvReader(env);
	const nodeEnv = read.oneOf("NODE_ENV", ["development", "test", "production"] as const, "development");
	const isDevelopment = nodeEnv !== "production";

	if (!isDevelopment) {
		for (const name of REQUIRED_IN_PRODUCTION) {
			if (read.raw(name) === undefined) read.problems.push(`${name} is required outside development`);
		}
	}

	const givenSecret = read.raw("JWT_SECRET");
	if (givenSecret !== undefined && Buffer.byteLength(givenSecret) < MIN_SECRET_BYTES && !isDevelopment) {
		read.problems.push(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes outside development`);
	}

	const givenAdminPassword = read.raw("ADMIN_PASSWORD");
	if (givenAdminPassword !== undefined && givenAdminPassword.length < 8) {
		read.problems.push("ADMIN_PASSWORD must be at least 8 characters");
	}

	const port = read.int("PORT", 3000, 0, 65535);
	const sandboxPort = read.int("PAYMENT_SANDBOX_PORT", 3100, 0, 65535);
	const config: ShopConfig = {
		nodeEnv,
		isDevelopment,
		port,
		healthPort: read.int("HEALTH_PORT", 0, 0, 65535) || undefined,
		metricsPort: read.int("METRICS_PORT", 0, 0, 65535) || undefined,
		tracing: {
			zipkinUrl: read.url("ZIPKIN_URL", ["http:", "https:"])?.replace(/\/+$/, ""),
			console: read.bool("TRACE_CONSOLE", false),
			sampleRate: read.fraction("TRACE_SAMPLE_RATE", 1),
			flushSeconds: read.int("TRACE_FLUSH_MS", 5000, 100, 60_000) / 1000,
		},
		dataDir: path.resolve(read.string("DATA_DIR", "data")),
		natsUrl: read.url("NATS_URL", ["nats:", "tls:"], { list: true }),
		failover: {
			probeAfterMs: read.int("FAILOVER_PROBE_AFTER_MS", 500, 50, 60_000),
			probeTimeoutMs: read.int("FAILOVER_PROBE_TIMEOUT_MS", 1000, 50, 60_000),
		},
		mongoUri: read.url("MONGO_URI", ["mongodb:", "mongodb+srv:"]),
		mongoDbPrefix: read.string("MONGO_DB_PREFIX", ""),
		mongoAllowNonAtomic: read.bool("MONGO_ALLOW_NON_ATOMIC", false),
		kafkaBrokers: read.hostPorts("KAFKA_BROKERS"),
		// The broker refuses less than its group.min.session.timeout.ms, 6 s by default.
		kafkaSessionTimeoutMs: read.int("KAFKA_SESSION_TIMEOUT_MS", 10_000, 6000, 300_000),
		kafkaTopicPartitions: read.int("KAFKA_TOPIC_PARTITIONS", 3, 1, 1000),
		logFormat: read.oneOf("LOG_FORMAT", ["text", "json"] as const, "text"),
		logLevel: read.oneOf("LOG_LEVEL", LOG_LEVELS, "info"),
		jwt: {
			secret: givenSecret ?? DEV_JWT_SECRET,
			isDefaultSecret: givenSecret === undefined,
			ttlSeconds: read.int("JWT_TTL_SECONDS", 3600, 60, 30 * 24 * 3600),
		},
		admin: {
			email: read.string("ADMIN_EMAIL", DEV_ADMIN_EMAIL).toLowerCase(),
			password: givenAdminPassword ?? DEV_ADMIN_PASSWORD,
			isDefaultPassword: givenAdminPassword === undefined,
		},
		http: {
			host: read.string("HOST", "127.0.0.1"),
			bodyLimitBytes: read.bytes("BODY_LIMIT", 100 * 1024, 16 * 1024 * 1024),
			publicMaxAgeSeconds: read.int("PUBLIC_MAX_AGE_SECONDS", 10, 0, 3600),
			corsOrigins: (read.raw("CORS_ORIGINS") ?? "")
				.split(",")
				.map((origin) => origin.trim())
				.filter(Boolean),
			trustProxy: read.bool("TRUST_PROXY", false),
			authRateLimitPerMinute: read.int("AUTH_RATE_LIMIT_PER_MINUTE", 20, 1, 100_000),
			sseMaxStreamsPerCustomer: read.int("SSE_MAX_STREAMS_PER_CUSTOMER", 5, 1, 1000),
			sseHeartbeatMs: read.int("SSE_HEARTBEAT_MS", 15 * 1000, 100, 10 * 60 * 1000),
			webDir: path.resolve(read.string("WEB_DIR", "web/dist")),
		},
		catalogue: {
			reservationTtlMs: read.int("RESERVATION_TTL_MS", 15 * 60 * 1000, 1000, 7 * 24 * 3600 * 1000),
			reservationSweepMs: read.int("RESERVATION_SWEEP_MS", 30 * 1000, 100, 3600 * 1000),
			cacheTtlSeconds: read.int("CATALOGUE_CACHE_TTL_SECONDS", 30, 0, 3600),
			cacheMaxEntries: read.int("CATALOGUE_CACHE_MAX_ENTRIES", 5000, 1, 1_000_000),
		},
		events: {
			relayIntervalMs: read.int("OUTBOX_RELAY_MS", 1000, 10, 60 * 1000),
			maxAttempts: read.int("EVENT_MAX_ATTEMPTS", 8, 1, 100),
			retryBaseMs: read.int("EVENT_RETRY_BASE_MS", 200, 1, 60 * 1000),
			// How long a dead node's work waits to be taken over: an event it was handling (from the
			// inbox scan, OUTBOX_RELAY_MS × 5 apart) and a charge or refund it had begun (from the
			// payments sweep, PAYMENT_RECOVERY_SWEEP_MS apart). Well under the saga's step timeout
			// (60 s), so that a replica's death costs its orders 15–20 s and not their cancellation
			// (at 60 s a charge in flight on a killed replica was finished as its saga timed out). Longer
			// than a live node holds one: its calls answer or time out within 10 s. Taking over from a
			// live but slow node does no harm, only work twice: handlers are idempotent and the card
			// processor de-duplicates on the order's key.
			claimTimeoutMs: read.int("EVENT_CLAIM_TIMEOUT_MS", 15 * 1000, 100, 3600 * 1000),
		},
		orders: {
			sagaStepTimeoutMs: read.int("SAGA_STEP_TIMEOUT_MS", 60 * 1000, 100, 24 * 3600 * 1000),
			sagaSweepMs: read.int("SAGA_SWEEP_MS", 1000, 10, 3600 * 1000),
			idempotencyKeyTtlMs: read.int("IDEMPOTENCY_KEY_TTL_SECONDS", 24 * 3600, 1, 30 * 24 * 3600) * 1000,
			returnWindowMs: read.int("RETURN_WINDOW_DAYS", 30, 0, 365) * 24 * 3600 * 1000,
		},
		payments: {
			processorUrl: (read.url("PAYMENTS_PROCESSOR_URL", ["http:", "https:"]) ?? `http://127.0.0.1:${sandboxPort}`).replace(/\/+$/, ""),
			processorSecretKey: read.string("PAYMENTS_PROCESSOR_SECRET_KEY", DEV_PROCESSOR_SECRET_KEY),
			webhookSecret: read.string("PAYMENTS_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET),
			processorTimeoutMs: read.int("PAYMENTS_PROCESSOR_TIMEOUT_MS", 5000, 50, 60 * 1000),
			breakerFailures: read.int("PAYMENTS_BREAKER_FAILURES", 5, 1, 1000),
			breakerOpenMs: read.int("PAYMENTS_BREAKER_OPEN_MS", 10 * 1000, 10, 10 * 60 * 1000),
			reconcileAfterMs: read.int("PAYMENTS_RECONCILE_AFTER_MS", 30 * 1000, 10, 24 * 3600 * 1000),
			returnUrl: read.string("PAYMENTS_RETURN_URL", `http://localhost:${port}/orders/{orderId}`),
			recoverySweepMs: read.int("PAYMENT_RECOVERY_SWEEP_MS", 5000, 10, 3600 * 1000),
		},
		paymentSandbox: {
			port: sandboxPort,
			publicUrl: (read.url("PAYMENT_SANDBOX_PUBLIC_URL", ["http:", "https:"]) ?? `http://localhost:${sandboxPort}`).replace(/\/+$/, ""),
			webhookUrl: read.url("PAYMENT_SANDBOX_WEBHOOK_URL", ["http:", "https:"]) ?? `http://127.0.0.1:${port}/api/webhooks/payments`,
			// Beside the shop's data by default: books kept in memory would forget, at a restart, the intents the shop's payments still wait on.
			dataDir: path.resolve(read.string("PAYMENT_SANDBOX_DATA_DIR", path.join(read.string("DATA_DIR", "data"), "payment-sandbox"))),
			slowMs: read.int("PAYMENT_SLOW_MS", 5000, 0, 10 * 60 * 1000),
			refundMs: read.int("PAYMENT_SANDBOX_REFUND_MS", 200, 0, 10 * 60 * 1000),
			webhookRetryMs: read.int("PAYMENT_SANDBOX_WEBHOOK_RETRY_MS", 1000, 10, 60 * 1000),
			webhookMode: read.oneOf("PAYMENT_SANDBOX_WEBHOOK_MODE", WEBHOOK_MODES, "normal"),
			webhookDelayMs: read.int("PAYMENT_SANDBOX_WEBHOOK_DELAY_MS", 2000, 0, 10 * 60 * 1000),
		},
		shipping: {
			rateTableFile: read.raw("SHIPPING_RATES_FILE") || undefined,
			carrierTimeoutMs: read.int("CARRIER_TIMEOUT_MS", 5000, 10, 60 * 1000),
			carrierSlowMs: read.int("CARRIER_SLOW_MS", 2000, 0, 10 * 60 * 1000),
			dispatchAfterMs: read.int("CARRIER_DISPATCH_AFTER_MS", 60 * 1000, 0, 30 * 24 * 3600 * 1000),
			deliverAfterMs: read.int("CARRIER_DELIVER_AFTER_MS", 5 * 60 * 1000, 0, 30 * 24 * 3600 * 1000),
			sweepMs: read.int("SHIPPING_SWEEP_MS", 2000, 10, 3600 * 1000),
			trackEveryMs: read.int("SHIPPING_TRACK_EVERY_MS", 15 * 1000, 10, 24 * 3600 * 1000),
		},
		notifications: {
			smtpUrl: read.url("SMTP_URL", ["smtp:", "smtps:"]),
			mailFrom: read.string("MAIL_FROM", "Shop <no-reply@shop.local>"),
		},
	};

	if (!config.payments.returnUrl.includes("{orderId}") || !/^https?:\/\//.test(config.payments.returnUrl)) {
		read.problems.push(`PAYMENTS_RETURN_URL must be an http(s) URL with {orderId} in it (got "${config.payments.returnUrl}")`);
	}
	if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(config.admin.email)) {
		read.problems.push(`ADMIN_EMAIL must be an email address (got "${config.admin.email}")`);
	}
	if (config.shipping.deliverAfterMs < config.shipping.dispatchAfterMs) {
		read.problems.push(
			`CARRIER_DELIVER_AFTER_MS must not be less than CARRIER_DISPATCH_AFTER_MS (got ${config.shipping.deliverAfterMs} and ${config.shipping.dispatchAfterMs})`,
		);
	}
	if (!/^[A-Za-z0-9_-]{0,32}$/.test(config.mongoDbPrefix)) {
		read.problems.push(`MONGO_DB_PREFIX must be up to 32 letters, digits, _ or - (got "${config.mongoDbPrefix}")`);
	}

	return { config, problems: read.problems, names: read.names };
}
