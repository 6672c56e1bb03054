import path from "node:path";
import { ConfigError, loadConfig, logsAt } from "./env";

const STRONG_SECRET = "a-production-secret-of-at-least-32-bytes!";

/** The problems a config would be refused for, or a failure when it is accepted. */
function problemsOf(env: Record<string, string | undefined>): string[] {
	try {
		loadConfig(env);
	} catch (err) {
		expect(err).toBeInstanceOf(ConfigError);
		return (err as ConfigError).problems;
	}
	throw new Error("loadConfig accepted a configuration it should have refused");
}

describe("loadConfig", () => {
	describe("defaults", () => {
		it("runs in development with the documented defaults when nothing is set", () => {
			const config = loadConfig({});
			expect(config).toEqual({
				nodeEnv: "development",
				isDevelopment: true,
				port: 3000,
				healthPort: undefined,
				metricsPort: undefined,
				tracing: { zipkinUrl: undefined, console: false, sampleRate: 1, flushSeconds: 5 },
				dataDir: path.resolve("data"),
				natsUrl: undefined,
				failover: { probeAfterMs: 500, probeTimeoutMs: 1000 },
				mongoUri: undefined,
				kafkaBrokers: undefined,
				kafkaSessionTimeoutMs: 10000,
				kafkaTopicPartitions: 3,
				logFormat: "text",
				logLevel: "info",
				jwt: {
					secret: "development-only-jwt-secret-do-not-use-in-production",
					isDefaultSecret: true,
					ttlSeconds: 3600,
				},
				admin: {
					email: "admin@shop.local",
					password: "admin-password-dev",
					isDefaultPassword: true,
				},
				http: {
					host: "127.0.0.1",
					bodyLimitBytes: 100 * 1024,
					publicMaxAgeSeconds: 10,
					corsOrigins: [],
					trustProxy: false,
					authRateLimitPerMinute: 20,
					sseMaxStreamsPerCustomer: 5,
					sseHeartbeatMs: 15000,
					webDir: path.resolve("web/dist"),
				},
				mongoDbPrefix: "",
				mongoAllowNonAtomic: false,
				catalogue: {
					reservationTtlMs: 15 * 60 * 1000,
					reservationSweepMs: 30 * 1000,
					cacheTtlSeconds: 30,
					cacheMaxEntries: 5000,
				},
				events: { relayIntervalMs: 1000, maxAttempts: 8, retryBaseMs: 200, claimTimeoutMs: 15 * 1000 },
				orders: { sagaStepTimeoutMs: 60 * 1000, sagaSweepMs: 1000, idempotencyKeyTtlMs: 24 * 3600 * 1000, returnWindowMs: 30 * 24 * 3600 * 1000 },
				payments: {
					processorUrl: "http://127.0.0.1:3100",
					processorSecretKey: "sk_test_development_only",
					webhookSecret: "whsec_development_only",
					processorTimeoutMs: 5000,
					breakerFailures: 5,
					breakerOpenMs: 10000,
					reconcileAfterMs: 30000,
					returnUrl: "http://localhost:3000/orders/{orderId}",
					recoverySweepMs: 5000,
				},
				paymentSandbox: {
					port: 3100,
					publicUrl: "http://localhost:3100",
					webhookUrl: "http://127.0.0.1:3000/api/webhooks/payments",
					dataDir: path.resolve("data/payment-sandbox"),
					slowMs: 5000,
					refundMs: 200,
					webhookRetryMs: 1000,
					webhookMode: "normal",
					webhookDelayMs: 2000,
				},
				shipping: {
					rateTableFile: undefined,
					carrierTimeoutMs: 5000,
					carrierSlowMs: 2000,
					dispatchAfterMs: 60000,
					deliverAfterMs: 300000,
					sweepMs: 2000,
					trackEveryMs: 15000,
				},
				notifications: { smtpUrl: undefined, mailFrom: "Shop <no-reply@shop.local>" },
			});
		});

		it("treats empty and blank values as not set", () => {
			const config = loadConfig({ PORT: "", LOG_LEVEL: "   ", JWT_SECRET: " ", NODE_ENV: "" });
			expect(config.port).toBe(3000);
			expect(config.logLevel).toBe("info");
			expect(config.jwt.isDefaultSecret).toBe(true);
			expect(config.nodeEnv).toBe("development");
		});

		it("does not read process.env when an env object is given", () => {
			const config = loadConfig({ PORT: "4100" });
			expect(config.port).toBe(4100);
			expect(config.jwt.isDefaultSecret).toBe(true);
		});
	});

	describe("parsed values", () => {
		it("reads every setting that is given", () => {
			const config = loadConfig({
				NODE_ENV: "test",
				PORT: " 8080 ",
				LOG_FORMAT: "json",
				LOG_LEVEL: "debug",
				JWT_SECRET: "short-but-fine-outside-production",
				JWT_TTL_SECONDS: "120",
				ADMIN_EMAIL: "Boss@Example.COM",
				ADMIN_PASSWORD: "long-enough",
				BODY_LIMIT: "1mb",
				AUTH_RATE_LIMIT_PER_MINUTE: "5",
				RESERVATION_TTL_MS: "60000",
				RESERVATION_SWEEP_MS: "500",
				CATALOGUE_CACHE_TTL_SECONDS: "0",
				CATALOGUE_CACHE_MAX_ENTRIES: "100",
			});
			expect(config.nodeEnv).toBe("test");
			expect(config.isDevelopment).toBe(true);
			expect(config.port).toBe(8080);
			expect(config.logFormat).toBe("json");
			expect(config.logLevel).toBe("debug");
			expect(config.jwt).toEqual({ secret: "short-but-fine-outside-production", isDefaultSecret: false, ttlSeconds: 120 });
			expect(config.admin).toEqual({ email: "boss@example.com", password: "long-enough", isDefaultPassword: false });
			expect(config.http.bodyLimitBytes).toBe(1024 * 1024);
			expect(config.http.authRateLimitPerMinute).toBe(5);
			expect(config.catalogue).toEqual({ reservationTtlMs: 60000, reservationSweepMs: 500, cacheTtlSeconds: 0, cacheMaxEntries: 100 });
		});

		it("accepts port 0 and 65535 at the edges of the range", () => {
			expect(loadConfig({ PORT: "0" }).port).toBe(0);
			expect(loadConfig({ PORT: "65535" }).port).toBe(65535);
		});
	});

	describe("bad values", () => {
		it("throws a ConfigError whose message names the variable", () => {
			expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
			expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT must be an integer from 0 to 65535 \(got "eighty"\)/);
		});

		it("refuses ports that are out of range or not whole numbers", () => {
			expect(problemsOf({ PORT: "65536" })).toEqual(['PORT must be an integer from 0 to 65535 (got "65536")']);
			expect(problemsOf({ PORT: "-1" })).toEqual(['PORT must be an integer from 0 to 65535 (got "-1")']);
			expect(problemsOf({ PORT: "80.5" })).toEqual(['PORT must be an integer from 0 to 65535 (got "80.5")']);
		});

		it("refuses a NODE_ENV that is not one of the known ones", () => {
			expect(problemsOf({ NODE_ENV: "staging" })).toEqual(['NODE_ENV must be one of development, test, production (got "staging")']);
		});

		it("lists every problem at once instead of stopping at the first", () => {
			const problems = problemsOf({
				NODE_ENV: "prod",
				PORT: "99999",
				LOG_FORMAT: "xml",
				LOG_LEVEL: "loud",
				JWT_TTL_SECONDS: "10",
				ADMIN_EMAIL: "not-an-email",
				ADMIN_PASSWORD: "short",
				BODY_LIMIT: "lots",
				TRUST_PROXY: "maybe",
				AUTH_RATE_LIMIT_PER_MINUTE: "0",
				RESERVATION_TTL_MS: "5",
				RESERVATION_SWEEP_MS: "1",
				CATALOGUE_CACHE_TTL_SECONDS: "-1",
				CATALOGUE_CACHE_MAX_ENTRIES: "0",
				NATS_URL: "http://nats:4222",
				MONGO_URI: "postgres://db/shop",
			});
			expect(problems).toHaveLength(16);
			for (const name of [
				"NODE_ENV",
				"PORT",
				"LOG_FORMAT",
				"LOG_LEVEL",
				"JWT_TTL_SECONDS",
				"ADMIN_EMAIL",
				"ADMIN_PASSWORD",
				"BODY_LIMIT",
				"TRUST_PROXY",
				"AUTH_RATE_LIMIT_PER_MINUTE",
				"RESERVATION_TTL_MS",
				"RESERVATION_SWEEP_MS",
				"CATALOGUE_CACHE_TTL_SECONDS",
				"CATALOGUE_CACHE_MAX_ENTRIES",
				"NATS_URL",
				"MONGO_URI",
			]) {
				expect(problems.filter((problem) => problem.startsWith(`${name} `))).toHaveLength(1);
			}
		});

		it("puts every problem on its own line of the error message", () => {
			try {
				loadConfig({ PORT: "x", LOG_FORMAT: "y" });
				throw new Error("expected a ConfigError");
			} catch (err) {
				expect(err).toBeInstanceOf(ConfigError);
				expect((err as Error).name).toBe("ConfigError");
				expect((err as Error).message).toBe(
					"Invalid configuration:\n" +
						'  - PORT must be an integer from 0 to 65535 (got "x")\n' +
						'  - LOG_FORMAT must be one of text, json (got "y")',
				);
			}
		});

		it("refuses an ADMIN_PASSWORD shorter than 8 characters even in development", () => {
			expect(problemsOf({ ADMIN_PASSWORD: "1234567" })).toEqual(["ADMIN_PASSWORD must be at least 8 characters"]);
			expect(loadConfig({ ADMIN_PASSWORD: "12345678" }).admin.password).toBe("12345678");
		});

		it("refuses an ADMIN_EMAIL that is not an address", () => {
			expect(problemsOf({ ADMIN_EMAIL: "admin@localhost" })).toEqual(['ADMIN_EMAIL must be an email address (got "admin@localhost")']);
		});

		it("refuses a carrier that would deliver a parcel before it collects it", () => {
			expect(problemsOf({ CARRIER_DISPATCH_AFTER_MS: "5000", CARRIER_DELIVER_AFTER_MS: "4000" })).toEqual([
				"CARRIER_DELIVER_AFTER_MS must not be less than CARRIER_DISPATCH_AFTER_MS (got 4000 and 5000)",
			]);
			const same = loadConfig({ CARRIER_DISPATCH_AFTER_MS: "5000", CARRIER_DELIVER_AFTER_MS: "5000" });
			expect(same.shipping).toMatchObject({ dispatchAfterMs: 5000, deliverAfterMs: 5000 });
		});

		it("refuses a BODY_LIMIT that is not a plain size up to 16mb", () => {
			for (const size of ["1gb", "17mb", "0"]) {
				expect(problemsOf({ BODY_LIMIT: size })).toEqual([`BODY_LIMIT must be a size such as 100kb or 1mb, at most 16mb (got "${size}")`]);
			}
			expect(loadConfig({ BODY_LIMIT: "2048" }).http.bodyLimitBytes).toBe(2048);
			expect(loadConfig({ BODY_LIMIT: "2MB" }).http.bodyLimitBytes).toBe(2 * 1024 * 1024);
		});
	});

	describe("JWT_SECRET and ADMIN_PASSWORD", () => {
		const processor = { PAYMENTS_PROCESSOR_SECRET_KEY: "sk_live_x", PAYMENTS_WEBHOOK_SECRET: "whsec_x" };
		const production = { NODE_ENV: "production", JWT_SECRET: STRONG_SECRET, ADMIN_PASSWORD: "a-real-admin-password", ...processor };

		it("accepts production with a long secret and an admin password", () => {
			const config = loadConfig(production);
			expect(config.nodeEnv).toBe("production");
			expect(config.isDevelopment).toBe(false);
			expect(config.jwt.secret).toBe(STRONG_SECRET);
			expect(config.jwt.isDefaultSecret).toBe(false);
			expect(config.admin.isDefaultPassword).toBe(false);
		});

		it("refuses a secret shorter than 32 bytes in production", () => {
			const shortSecret = "x".repeat(31);
			expect(problemsOf({ ...production, JWT_SECRET: shortSecret })).toEqual(["JWT_SECRET must be at least 32 bytes outside development"]);
			expect(loadConfig({ ...production, JWT_SECRET: "x".repeat(32) }).jwt.secret).toBe("x".repeat(32));
		});

		it("counts the secret's length in bytes, not characters", () => {
			// 16 characters of two bytes each are 32 bytes.
			const secret = "é".repeat(16);
			expect(loadConfig({ ...production, JWT_SECRET: secret }).jwt.secret).toBe(secret);
			expect(problemsOf({ ...production, JWT_SECRET: "é".repeat(15) })).toEqual(["JWT_SECRET must be at least 32 bytes outside development"]);
		});

		it("accepts a short secret in development", () => {
			const config = loadConfig({ NODE_ENV: "development", JWT_SECRET: "short" });
			expect(config.jwt.secret).toBe("short");
			expect(config.jwt.isDefaultSecret).toBe(false);
		});

		it("requires JWT_SECRET and ADMIN_PASSWORD in production", () => {
			expect(problemsOf({ NODE_ENV: "production", ...processor })).toEqual([
				"JWT_SECRET is required outside development",
				"ADMIN_PASSWORD is required outside development",
			]);
		});

		it("requires JWT_SECRET in production even when the admin password is given", () => {
			expect(problemsOf({ NODE_ENV: "production", ADMIN_PASSWORD: "a-real-admin-password", ...processor })).toEqual([
				"JWT_SECRET is required outside development",
			]);
		});

		it("requires ADMIN_PASSWORD in production even when the secret is given", () => {
			expect(problemsOf({ NODE_ENV: "production", JWT_SECRET: STRONG_SECRET, ...processor })).toEqual(["ADMIN_PASSWORD is required outside development"]);
		});

		it("requires the card processor's key and webhook secret in production, as it does the JWT secret", () => {
			const { PAYMENTS_PROCESSOR_SECRET_KEY: _key, PAYMENTS_WEBHOOK_SECRET: _secret, ...withoutProcessor } = production;
			expect(problemsOf(withoutProcessor)).toEqual([
				"PAYMENTS_PROCESSOR_SECRET_KEY is required outside development",
				"PAYMENTS_WEBHOOK_SECRET is required outside development",
			]);
			expect(loadConfig(production).payments).toMatchObject({ processorSecretKey: "sk_live_x", webhookSecret: "whsec_x" });
		});

		it("uses the trimmed secret", () => {
			expect(loadConfig({ JWT_SECRET: "  padded  " }).jwt.secret).toBe("padded");
		});
	});

	describe("the card processor and its sandbox", () => {
		it("points payments at the sandbox's port and the sandbox at the gateway's webhook, both following PORT and PAYMENT_SANDBOX_PORT", () => {
			const config = loadConfig({ PORT: "8080", PAYMENT_SANDBOX_PORT: "9100" });
			expect(config.payments.processorUrl).toBe("http://127.0.0.1:9100");
			expect(config.payments.returnUrl).toBe("http://localhost:8080/orders/{orderId}");
			expect(config.paymentSandbox).toMatchObject({
				port: 9100,
				publicUrl: "http://localhost:9100",
				webhookUrl: "http://127.0.0.1:8080/api/webhooks/payments",
			});
		});

		it("refuses a return URL without {orderId}, a webhook mode it does not know and a processor URL that is not http", () => {
			expect(
				problemsOf({
					PAYMENTS_RETURN_URL: "http://shop.example/orders",
					PAYMENT_SANDBOX_WEBHOOK_MODE: "sometimes",
					PAYMENTS_PROCESSOR_URL: "ftp://processor",
				}),
			).toEqual([
				'PAYMENTS_PROCESSOR_URL must be a http: or https: URL (got "ftp://processor")',
				'PAYMENT_SANDBOX_WEBHOOK_MODE must be one of normal, late, twice, reorder, never (got "sometimes")',
				'PAYMENTS_RETURN_URL must be an http(s) URL with {orderId} in it (got "http://shop.example/orders")',
			]);
		});
	});

	describe("FAILOVER_PROBE_AFTER_MS and FAILOVER_PROBE_TIMEOUT_MS", () => {
		it("takes whole milliseconds from 50 up", () => {
			expect(loadConfig({ FAILOVER_PROBE_AFTER_MS: "250", FAILOVER_PROBE_TIMEOUT_MS: "2000" }).failover).toEqual({
				probeAfterMs: 250,
				probeTimeoutMs: 2000,
			});
		});

		it("refuses a probe sooner than 50 ms, which would ask about every call", () => {
			expect(() => loadConfig({ FAILOVER_PROBE_AFTER_MS: "10" })).toThrow(/FAILOVER_PROBE_AFTER_MS/);
			expect(() => loadConfig({ FAILOVER_PROBE_TIMEOUT_MS: "soon" })).toThrow(/FAILOVER_PROBE_TIMEOUT_MS/);
		});
	});

	describe("NATS_URL and MONGO_URI", () => {
		it("accepts nats:// and tls:// NATS URLs", () => {
			expect(loadConfig({ NATS_URL: "nats://nats:4222" }).natsUrl).toBe("nats://nats:4222");
			expect(loadConfig({ NATS_URL: "tls://nats.example.com:4222" }).natsUrl).toBe("tls://nats.example.com:4222");
		});

		it("accepts a comma-separated list of NATS servers and keeps it as given", () => {
			const list = "nats://a:4222, nats://b:4222";
			expect(loadConfig({ NATS_URL: list }).natsUrl).toBe(list);
		});

		it("refuses a NATS URL with another protocol", () => {
			expect(problemsOf({ NATS_URL: "http://nats:4222" })).toEqual(['NATS_URL must be a nats: or tls: URL (got "http://nats:4222")']);
		});

		it("refuses a NATS URL that does not parse", () => {
			expect(problemsOf({ NATS_URL: "not a url" })).toEqual(['NATS_URL must be a nats: or tls: URL (got "not a url")']);
		});

		it("reports each bad server in a NATS list", () => {
			expect(problemsOf({ NATS_URL: "nats://a:4222,http://b:4222,redis://c" })).toEqual([
				'NATS_URL must be a nats: or tls: URL (got "http://b:4222")',
				'NATS_URL must be a nats: or tls: URL (got "redis://c")',
			]);
		});

		it("accepts mongodb:// and mongodb+srv:// URIs", () => {
			expect(loadConfig({ MONGO_URI: "mongodb://mongo:27017/shop" }).mongoUri).toBe("mongodb://mongo:27017/shop");
			expect(loadConfig({ MONGO_URI: "mongodb+srv://cluster0.example.net/shop" }).mongoUri).toBe("mongodb+srv://cluster0.example.net/shop");
		});

		it("refuses a MONGO_URI with another protocol", () => {
			expect(problemsOf({ MONGO_URI: "postgres://db:5432/shop" })).toEqual([
				'MONGO_URI must be a mongodb: or mongodb+srv: URL (got "postgres://db:5432/shop")',
			]);
		});

		it("takes a database-name prefix of letters, digits, _ and -, and refuses anything else", () => {
			expect(loadConfig({ MONGO_DB_PREFIX: "bench_1-" }).mongoDbPrefix).toBe("bench_1-");
			expect(problemsOf({ MONGO_DB_PREFIX: "shop.prod" })).toEqual(['MONGO_DB_PREFIX must be up to 32 letters, digits, _ or - (got "shop.prod")']);
			expect(problemsOf({ MONGO_DB_PREFIX: "x".repeat(33) })).toHaveLength(1);
		});

		it("refuses a non-atomic database server unless MONGO_ALLOW_NON_ATOMIC accepts it, as a boolean", () => {
			expect(loadConfig({}).mongoAllowNonAtomic).toBe(false);
			expect(loadConfig({ MONGO_ALLOW_NON_ATOMIC: "true" }).mongoAllowNonAtomic).toBe(true);
			expect(problemsOf({ MONGO_ALLOW_NON_ATOMIC: "sure" })).toEqual(['MONGO_ALLOW_NON_ATOMIC must be true or false (got "sure")']);
		});

		it("leaves both unset when they are not given", () => {
			const config = loadConfig({});
			expect(config.natsUrl).toBeUndefined();
			expect(config.mongoUri).toBeUndefined();
		});
	});

	describe("DATA_DIR", () => {
		it("resolves a relative DATA_DIR against the working directory", () => {
			expect(loadConfig({ DATA_DIR: "var/shop" }).dataDir).toBe(path.join(process.cwd(), "var", "shop"));
		});

		it("keeps an absolute DATA_DIR", () => {
			expect(loadConfig({ DATA_DIR: "/srv/shop-data" }).dataDir).toBe("/srv/shop-data");
		});

		it("normalizes the path", () => {
			expect(loadConfig({ DATA_DIR: "/srv/a/../shop/" }).dataDir).toBe("/srv/shop");
		});
	});

	describe("CORS_ORIGINS", () => {
		it("splits on commas, trims and drops empty entries", () => {
			expect(loadConfig({ CORS_ORIGINS: " https://a.example , https://b.example,, " }).http.corsOrigins).toEqual([
				"https://a.example",
				"https://b.example",
			]);
		});

		it("keeps a single origin as a one-element list", () => {
			expect(loadConfig({ CORS_ORIGINS: "https://shop.example" }).http.corsOrigins).toEqual(["https://shop.example"]);
		});
	});

	describe("TRUST_PROXY", () => {
		it.each(["1", "true", "TRUE", "yes", "Yes"])("reads %p as true", (value) => {
			expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toBe(true);
		});

		it.each(["0", "false", "False", "no", "NO"])("reads %p as false", (value) => {
			expect(loadConfig({ TRUST_PROXY: value }).http.trustProxy).toBe(false);
		});

		it("refuses anything else", () => {
			expect(problemsOf({ TRUST_PROXY: "on" })).toEqual(['TRUST_PROXY must be true or false (got "on")']);
		});
	});

	it("accepts a MongoDB replica-set URI with several hosts", () => {
		const uri = "mongodb://db1:27017,db2:27017/shop?replicaSet=rs0";
		expect(loadConfig({ MONGO_URI: uri }).mongoUri).toBe(uri);
	});

	describe("observability settings", () => {
		it("switches tracing to Zipkin, without a trailing slash, and reads the sample rate and metrics port", () => {
			const config = loadConfig({ ZIPKIN_URL: "http://zipkin:9411/", TRACE_SAMPLE_RATE: "0.25", TRACE_FLUSH_MS: "500", METRICS_PORT: "3030" });
			expect(config.tracing).toEqual({ zipkinUrl: "http://zipkin:9411", console: false, sampleRate: 0.25, flushSeconds: 0.5 });
			expect(config.metricsPort).toBe(3030);
		});

		it("refuses a sample rate outside 0 to 1, or not a number", () => {
			for (const value of ["1.5", "-0.1", "half", "1e-1"]) {
				expect(() => loadConfig({ TRACE_SAMPLE_RATE: value })).toThrow(/TRACE_SAMPLE_RATE must be a number from 0 to 1/);
			}
			expect(loadConfig({ TRACE_SAMPLE_RATE: "0" }).tracing.sampleRate).toBe(0);
		});

		it("refuses a ZIPKIN_URL that is not http or https", () => {
			expect(() => loadConfig({ ZIPKIN_URL: "zipkin:9411" })).toThrow(/ZIPKIN_URL must be a http: or https: URL/);
		});
	});
});

describe("logsAt", () => {
	it("writes a level's own lines and more severe ones, not less severe ones", () => {
		expect(logsAt("info", "info")).toBe(true);
		expect(logsAt("info", "warn")).toBe(true);
		expect(logsAt("info", "debug")).toBe(false);
		expect(logsAt("warn", "info")).toBe(false);
		expect(logsAt("trace", "info")).toBe(true);
	});
});
