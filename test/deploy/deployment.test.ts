import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import brokerConfig from "../../moleculer.config";
import { REQUIRED_IN_PRODUCTION, configVariableNames, loadConfig } from "../../lib/env";
import { CPU_BUDGETS, type ServiceName } from "../../scripts/cluster-lib";
import { readRuntimeStage } from "../../scripts/dockerfile";
import { compose, k8s, MONITORING, object, objects, observabilityCompose, ROOT, type Env, type K8sObject } from "./rendered";

/*
 * The deployment files as docker-compose and kustomize render them (scripts/check-deploy.sh
 * writes them to DEPLOY_RENDERED), held against the code: every service deployed, every
 * required setting given and valid, probes on the port the nodes listen on.
 */

/** Variables moleculer-runner or Node read themselves, beside those of lib/env.ts. */
const RUNNER_VARIABLES = ["SERVICES", "SERVICEDIR", "NODE_OPTIONS"];
/** Each node must know where its servers are; without them it would run alone on local files. */
const TOPOLOGY_VARIABLES = ["NATS_URL", "KAFKA_BROKERS", "MONGO_URI", "HEALTH_PORT", "METRICS_PORT"];
const INFRA = ["nats", "kafka", "mongo"];
/**
 * The card processor sandbox: in services/ (the embedded shop loads it as a service), but deployed
 * as a program of its own (services/payment-sandbox/main.ts), one container or pod, no Moleculer node.
 */
const SANDBOX = "payment-sandbox";
const SANDBOX_MAIN = "dist/services/payment-sandbox/main.js";
/** Alertmanager's webhook receiver in the observability profile: a program of the image's too (scripts/alert-receiver.ts). */
const ALERT_RECEIVER = "alert-receiver";
const ALERT_RECEIVER_MAIN = "dist/scripts/alert-receiver.js";
/** Where the processor sends its webhooks on the gateway (services/api/routes.ts, under the API's /api). */
const WEBHOOK_PATH = "/api/webhooks/payments";

/** The ENV of the image's runtime stage: what every container starts with, beneath its own settings. */
const imageEnv = (): Env => ({ ...readRuntimeStage(path.join(ROOT, "Dockerfile")).env });

const SERVICES = fs
	.readdirSync(path.join(ROOT, "services"))
	.filter((name) => name !== SANDBOX && fs.existsSync(path.join(ROOT, "services", name, `${name}.service.ts`)))
	.sort();

const OBSERVABILITY = ["zipkin", "prometheus", "alertmanager", ALERT_RECEIVER, "grafana"];

/** What a shop container's environment holds: the image's ENV, its ConfigMaps and Secrets, then its own env. */
function containerEnv(container: any): Env {
	const env: Env = imageEnv();
	for (const source of container.envFrom ?? []) {
		if (source.configMapRef) Object.assign(env, object("ConfigMap", source.configMapRef.name).data);
		if (source.secretRef) {
			const secret = object("Secret", source.secretRef.name);
			for (const [key, value] of Object.entries(secret.data ?? {})) env[key] = Buffer.from(value, "base64").toString("utf8");
			Object.assign(env, secret.stringData);
		}
	}
	for (const variable of container.env ?? []) env[variable.name] = String(variable.value);
	return env;
}

/** A Kubernetes CPU quantity ("150m", "0.5", 1) in cores. */
function cores(quantity: string | number): number {
	const text = String(quantity);
	return text.endsWith("m") ? Number(text.slice(0, -1)) / 1000 : Number(text);
}

function stringEnv(env: Record<string, unknown> | undefined): Env {
	return Object.fromEntries(Object.entries(env ?? {}).map(([key, value]) => [key, String(value)]));
}

function hostsOf(config: ReturnType<typeof loadConfig>): string[] {
	return [new URL(config.natsUrl!).hostname, ...config.kafkaBrokers!.map((broker) => broker.split(":")[0]!), new URL(config.mongoUri!).hostname];
}

/** Checks shared by both deployments: the settings a shop node gets make a valid production config. */
function expectProductionSettings(env: Env, where: string): ReturnType<typeof loadConfig> {
	const known = new Set([...configVariableNames(), ...RUNNER_VARIABLES]);
	expect({ where, unknown: Object.keys(env).filter((name) => !known.has(name)) }).toEqual({ where, unknown: [] });
	const missing = [...REQUIRED_IN_PRODUCTION, ...TOPOLOGY_VARIABLES, "NODE_ENV"].filter((name) => !env[name]);
	expect({ where, missing }).toEqual({ where, missing: [] });
	// loadConfig throws, naming each variable, where a value would stop the node at start-up.
	const config = loadConfig(env);
	expect({ where, nodeEnv: config.nodeEnv }).toEqual({ where, nodeEnv: "production" });
	// The gateway's default is loopback; in a container it must be reachable from outside it.
	expect({ where, host: config.http.host }).toEqual({ where, host: "0.0.0.0" });
	return config;
}

/**
 * The sandbox's settings make a valid production configuration too: only names the shop reads,
 * every required secret (it shares the payments two with the nodes), reachable from outside its
 * container. It needs no NATS, Kafka or MongoDB.
 */
function expectSandboxSettings(env: Env, where: string): ReturnType<typeof loadConfig> {
	const known = new Set([...configVariableNames(), ...RUNNER_VARIABLES]);
	expect({ where, unknown: Object.keys(env).filter((name) => !known.has(name)) }).toEqual({ where, unknown: [] });
	const missing = [
		...REQUIRED_IN_PRODUCTION,
		"NODE_ENV",
		"PAYMENT_SANDBOX_PORT",
		"PAYMENT_SANDBOX_DATA_DIR",
		"PAYMENT_SANDBOX_WEBHOOK_URL",
		"PAYMENT_SANDBOX_PUBLIC_URL",
	].filter((name) => !env[name]);
	expect({ where, missing }).toEqual({ where, missing: [] });
	const config = loadConfig(env);
	expect({ where, nodeEnv: config.nodeEnv, host: config.http.host }).toEqual({ where, nodeEnv: "production", host: "0.0.0.0" });
	expect({ where, webhookPath: new URL(config.paymentSandbox.webhookUrl).pathname }).toEqual({ where, webhookPath: WEBHOOK_PATH });
	return config;
}

/** The payments secrets as a process sees them: each side of the processor must hold the same two. */
const paymentSecrets = (config: ReturnType<typeof loadConfig>) => ({ key: config.payments.processorSecretKey, webhook: config.payments.webhookSecret });

/** host:port of an http URL, the port spelt out. */
function hostPort(url: string): string {
	const parsed = new URL(url);
	return `${parsed.hostname}:${parsed.port || (parsed.protocol === "https:" ? "443" : "80")}`;
}

describe("the services to deploy", () => {
	it("are the eight of services/, and the payment sandbox beside them as a program of its own", () => {
		expect(SERVICES).toEqual(["api", "carts", "catalogue", "customers", "notifications", "orders", "payments", "shipping"]);
		expect(fs.existsSync(path.join(ROOT, "services", SANDBOX, "main.ts"))).toBe(true);
	});
});

type ComposePort = string | { host_ip?: string; target: number };
/** A published port as docker-compose 1.x renders it ("ip:published:target/proto") or 2.x does (an object). */
function publishedPort(port: ComposePort): { hostIp?: string; target: number } {
	if (typeof port !== "string") return { hostIp: port.host_ip, target: port.target };
	const parts = port.replace(/\/\w+$/, "").split(":");
	return { hostIp: parts.length === 3 ? parts[0] : undefined, target: Number(parts[parts.length - 1]) };
}

describe("docker-compose.yml", () => {
	const shopNodes = Object.entries(compose.services).filter(([, service]) => service.environment?.SERVICES);
	// What `docker compose up` starts; docker-compose 1.x renders the services of every profile.
	const started = Object.fromEntries(Object.entries(compose.services).filter(([, service]) => !service.profiles));

	it("runs each service of services/ as a compose service of its own name, the payment sandbox and the alert receiver as their own programs, and nothing else from the image", () => {
		expect(shopNodes.map(([name, service]) => [name, service.environment.SERVICES]).sort()).toEqual(SERVICES.map((name) => [name, name]));
		expect(Object.keys(started).sort()).toEqual([...SERVICES, ...INFRA, "proxy", SANDBOX].sort());
		const fromImage = Object.entries(compose.services)
			.filter(([, service]) => service.image === compose.services.orders.image)
			.map(([name]) => name);
		expect(fromImage.sort()).toEqual([...SERVICES, SANDBOX, ALERT_RECEIVER, "repl"].sort());
	});

	it("gives every shop node a valid production configuration that points at the compose servers", () => {
		for (const [name, service] of shopNodes) {
			const config = expectProductionSettings({ ...imageEnv(), ...stringEnv(service.environment) }, `compose service ${name}`);
			for (const host of hostsOf(config)) expect(Object.keys(compose.services)).toContain(host);
		}
	});

	it("can scale every service, the gateway too: no fixed container names, and host ports for the proxy and the payment sandbox alone, on the host's loopback", () => {
		const sandboxPort = loadConfig({ ...imageEnv(), ...stringEnv(compose.services[SANDBOX].environment) }).paymentSandbox.port;
		const hostPorts: Record<string, { hostIp: string; target: number }[]> = {
			proxy: [{ hostIp: "127.0.0.1", target: 8080 }],
			[SANDBOX]: [{ hostIp: "127.0.0.1", target: sandboxPort }],
		};
		for (const [name, service] of Object.entries(started)) {
			expect({ name, containerName: service.container_name }).toEqual({ name, containerName: undefined });
			expect({ name, ports: service.ports?.map(publishedPort) }).toEqual({ name, ports: hostPorts[name] });
		}
	});

	it("runs the payment sandbox from the image as its own program, one container with its books in a volume of its own, health-checked on its port", () => {
		const sandbox = compose.services[SANDBOX];
		expect(sandbox.command).toEqual(["node", SANDBOX_MAIN]);
		expect({ SERVICES: sandbox.environment.SERVICES, replicas: sandbox.deploy?.replicas, scale: sandbox.scale }).toEqual({
			SERVICES: undefined,
			replicas: undefined,
			scale: undefined,
		});
		const config = expectSandboxSettings({ ...imageEnv(), ...stringEnv(sandbox.environment) }, `compose service ${SANDBOX}`);
		const volumeOf = (mount: string | { source: string; target: string }) =>
			typeof mount === "string" ? mount.split(":").slice(0, 2) : [mount.source, mount.target];
		expect(sandbox.volumes.map(volumeOf)).toEqual([["payment-sandbox-data", config.paymentSandbox.dataDir]]);
		const check = sandbox.healthcheck.test.join(" ");
		expect(check).toContain("/healthz");
		expect(check).toContain("process.env.PAYMENT_SANDBOX_PORT");
		expect({ restart: sandbox.restart, init: sandbox.init, stopGrace: sandbox.stop_grace_period }).toEqual({
			restart: "unless-stopped",
			init: true,
			stopGrace: "30s",
		});
	});

	it("wires the payment sandbox to the shop: payments call it, its webhooks come in through the proxy, a browser opens its published port, and both sides share the secrets", () => {
		const proxy = compose.services.proxy;
		const sandboxService = compose.services[SANDBOX];
		const sandbox = loadConfig({ ...imageEnv(), ...stringEnv(sandboxService.environment) });
		// The payments nodes reach it by its compose name, on the port it listens on.
		const payments = loadConfig({ ...imageEnv(), ...stringEnv(compose.services.payments.environment) });
		expect(hostPort(payments.payments.processorUrl)).toBe(`${SANDBOX}:${sandbox.paymentSandbox.port}`);
		// Its webhooks go to the front door in front of every gateway, as a processor calls the public endpoint.
		expect(hostPort(sandbox.paymentSandbox.webhookUrl)).toBe(`proxy:${publishedPort(proxy.ports[0]).target}`);
		// A browser on the host opens the 3-D Secure page on the published port, and is sent back to the storefront through the proxy.
		const published = String(sandboxService.ports[0]).match(/:(\d+):\d+/)?.[1] ?? String(sandboxService.ports[0]?.published);
		expect(hostPort(sandbox.paymentSandbox.publicUrl)).toBe(`localhost:${published}`);
		const shopPublished = String(proxy.ports[0]).match(/:(\d+):\d+/)?.[1] ?? String(proxy.ports[0]?.published);
		expect(payments.payments.returnUrl).toBe(`http://localhost:${shopPublished}/orders/{orderId}`);
		// One key and one webhook secret on every side: the sandbox, the payments nodes that call it, the gateways that check its webhooks.
		const api = loadConfig({ ...imageEnv(), ...stringEnv(compose.services.api.environment) });
		expect([paymentSecrets(payments), paymentSecrets(api)]).toEqual([paymentSecrets(sandbox), paymentSecrets(sandbox)]);
	});

	it("puts the proxy in front of every gateway replica, health-checked on the port the nodes answer readiness on, and the gateway trusts the address it adds", () => {
		const proxy = compose.services.proxy;
		const mount = proxy.volumes.map((volume: any) => (typeof volume === "string" ? volume.split(":") : [volume.source, volume.target]))[0];
		expect(path.relative(ROOT, mount[0])).toBe(path.join("proxy", "haproxy.cfg"));
		expect(mount[1]).toBe("/usr/local/etc/haproxy/haproxy.cfg");
		const cfg = fs.readFileSync(path.join(ROOT, "proxy", "haproxy.cfg"), "utf8");
		const api = loadConfig({ ...imageEnv(), ...stringEnv(compose.services.api.environment) });
		expect(cfg).toMatch(new RegExp(`^\\s*bind :${publishedPort(proxy.ports[0]).target}$`, "m"));
		expect(cfg).toMatch(new RegExp(`^\\s*server-template api \\d+ api:${api.port}$`, "m"));
		expect(cfg).toMatch(new RegExp(`^\\s*default-server check port ${api.healthPort} .*resolvers docker`, "m"));
		expect(cfg).toMatch(/^\s*option httpchk GET \/readyz$/m);
		expect(api.http.trustProxy).toBe(true);
	});

	it("runs every replica on its service's CPU budget, the one Kubernetes and the bench use", () => {
		for (const [name, service] of shopNodes) expect({ name, cpus: Number(service.cpus) }).toEqual({ name, cpus: CPU_BUDGETS[name as ServiceName] });
	});

	it("opens the REPL as one more node of the stack, in a profile of its own: the shop's image and settings, no services, a terminal", () => {
		const repl = compose.services.repl;
		expect(repl.profiles).toEqual(["repl"]);
		expect(repl.image).toBe(compose.services.orders.image);
		expect(repl.command).toEqual(expect.arrayContaining(["node_modules/moleculer/bin/moleculer-runner.js", "--repl"]));
		const env = { ...imageEnv(), ...stringEnv(repl.environment) };
		expect({ SERVICES: env.SERVICES, SERVICEDIR: env.SERVICEDIR }).toEqual({ SERVICES: "", SERVICEDIR: "" });
		const config = expectProductionSettings(env, "compose service repl");
		for (const host of hostsOf(config)) expect(Object.keys(compose.services)).toContain(host);
		expect({ stdin: repl.stdin_open, tty: repl.tty, ports: repl.ports }).toEqual({ stdin: true, tty: true, ports: undefined });
	});

	it("starts the shop only once its servers are healthy, and keeps Kafka's and MongoDB's data and the emails written to files in named volumes", () => {
		for (const [name, service] of shopNodes) {
			expect({ name, dependsOn: service.depends_on }).toEqual({
				name,
				dependsOn: Object.fromEntries(INFRA.map((server) => [server, { condition: "service_healthy" }])),
			});
			expect({ name, stopGrace: service.stop_grace_period }).toEqual({ name, stopGrace: "30s" });
		}
		for (const server of INFRA) expect(compose.services[server].healthcheck?.test).toBeDefined();
		// docker-compose 1.x renders the short form "volume:/path:rw", 2.x the long form.
		const volumeOf = (mount: string | { source: string; target: string }) =>
			typeof mount === "string" ? mount.split(":").slice(0, 2) : [mount.source, mount.target];
		expect(compose.services.kafka.volumes.map(volumeOf)).toEqual([["kafka-data", "/var/lib/kafka/data"]]);
		expect(compose.services.mongo.volumes.map(volumeOf)).toEqual([["mongo-data", "/data/db"]]);
		expect(compose.services.notifications.volumes.map(volumeOf)).toEqual([["notifications-mail", "/app/data"]]);
		expect(Object.keys(compose.volumes ?? {}).sort()).toEqual([
			"alertmanager-data",
			"grafana-data",
			"kafka-data",
			"mongo-data",
			"notifications-mail",
			"payment-sandbox-data",
			"prometheus-data",
		]);
	});
});

describe("docker-compose.yml --profile observability", () => {
	const services = observabilityCompose.services;
	const shopNodes = Object.entries(services).filter(([, service]) => service.environment?.SERVICES);
	/** The host file a service mounts at `target`. */
	function mountedFrom(service: any, target: string): string {
		for (const mount of service.volumes ?? []) {
			const [source, at] = typeof mount === "string" ? mount.split(":") : [mount.source, mount.target];
			if (at === target) return source;
		}
		throw new Error(`nothing mounted at ${target}`);
	}

	it("adds Zipkin, Prometheus, Alertmanager, the alert receiver and Grafana to the shop, on the host's loopback only", () => {
		expect(Object.keys(services).sort()).toEqual([...SERVICES, ...INFRA, ...OBSERVABILITY, "proxy", "repl", SANDBOX].sort());
		for (const name of OBSERVABILITY) {
			expect({ name, profiles: services[name].profiles }).toEqual({ name, profiles: ["observability"] });
			const hostIps = services[name].ports.map((port: ComposePort) => publishedPort(port).hostIp);
			expect({ name, hostIps }).toEqual({ name, hostIps: hostIps.map(() => "127.0.0.1") });
		}
	});

	it("has every shop node send its spans to the profile's Zipkin", () => {
		for (const [name, service] of shopNodes) {
			const config = loadConfig({ ...imageEnv(), ...stringEnv(service.environment) });
			const zipkin = new URL(config.tracing.zipkinUrl ?? "http://nowhere");
			expect({ name, host: zipkin.host }).toEqual({ name, host: "zipkin:9411" });
		}
	});

	it("has Prometheus scrape every service of services/ on the port its nodes serve /metrics on", () => {
		const prometheus = parse(fs.readFileSync(mountedFrom(services.prometheus, "/etc/prometheus/prometheus.yml"), "utf8"));
		const discovery = prometheus.scrape_configs.flatMap((job: any) => job.dns_sd_configs ?? []);
		expect(discovery.flatMap((sd: any) => sd.names).sort()).toEqual(SERVICES);
		for (const [name, service] of shopNodes) {
			const config = loadConfig({ ...imageEnv(), ...stringEnv(service.environment) });
			expect({ name, scraped: discovery.find((sd: any) => sd.names.includes(name))?.port }).toEqual({ name, scraped: config.metricsPort });
		}
	});

	/** A Prometheus or Alertmanager duration ("30s", "1m30s", "4h") in seconds. */
	function seconds(duration: string): number {
		const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
		const parts = [...String(duration).matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
		expect({ duration, parsed: parts.map((part) => part[0]).join("") }).toEqual({ duration, parsed: String(duration) });
		return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
	}
	/** The value of a `--flag=value` or `--flag value` in a command. */
	function flag(command: string[], name: string): string | undefined {
		const at = command.findIndex((arg) => arg === name || arg.startsWith(`${name}=`));
		if (at < 0) return undefined;
		return command[at]!.includes("=") ? command[at]!.slice(name.length + 1) : command[at + 1];
	}

	it("has Prometheus load the alerting rules of observability/alerts.yml and send what fires to the profile's Alertmanager", () => {
		const prometheusFile = mountedFrom(services.prometheus, "/etc/prometheus/prometheus.yml");
		const prometheus = parse(fs.readFileSync(prometheusFile, "utf8"));
		// Each rule file, resolved as Prometheus resolves it (against its configuration's directory), is a mounted file.
		const ruleFiles = (prometheus.rule_files ?? []) as string[];
		expect(ruleFiles.length).toBeGreaterThan(0);
		const mounted = ruleFiles.map((file) => path.relative(ROOT, mountedFrom(services.prometheus, path.posix.resolve("/etc/prometheus", file))));
		expect(mounted).toContain(path.join("observability", "alerts.yml"));
		// Relative names, so that `promtool check config` (check-deploy.sh) finds them beside the file on this side too.
		for (const file of ruleFiles) expect(fs.existsSync(path.resolve(path.dirname(prometheusFile), file))).toBe(true);
		const rules = parse(fs.readFileSync(path.join(ROOT, "observability", "alerts.yml"), "utf8")).groups.flatMap((group: any) => group.rules) as {
			alert?: string;
			labels?: Env;
			annotations?: Env;
		}[];
		const alerts = rules.filter((rule) => rule.alert);
		expect(alerts.map((rule) => rule.alert)).toContain("ServiceWithoutReplica");
		// Every alert says how bad it is and what to do, as the receiver and a person paged need.
		for (const rule of alerts) {
			expect({ alert: rule.alert, severity: typeof rule.labels?.severity }).toEqual({ alert: rule.alert, severity: "string" });
			expect({ alert: rule.alert, annotations: Object.keys(rule.annotations ?? {}) }).toEqual({
				alert: rule.alert,
				annotations: expect.arrayContaining(["summary", "description", "runbook_url"]),
			});
		}
		const targets = prometheus.alerting.alertmanagers.flatMap((am: any) => am.static_configs.flatMap((config: any) => config.targets));
		const listen = flag(services.alertmanager.command, "--web.listen-address") ?? ":9093";
		expect(targets).toEqual([`alertmanager:${listen.split(":").at(-1)}`]);
	});

	it("has Alertmanager send every alert, and its resolution, to the alert receiver, grouped briefly enough for the rules' promises", () => {
		const am = services.alertmanager;
		const configFile = flag(am.command, "--config.file");
		expect(configFile).toBeDefined();
		const config = parse(fs.readFileSync(mountedFrom(am, configFile!), "utf8"));
		// Alertmanager keeps silences and its notification log in the volume.
		expect(mountedFrom(am, flag(am.command, "--storage.path")!)).toBe("alertmanager-data");
		const receiverPort = flag(services[ALERT_RECEIVER].command, "--port");
		const receivers = new Map((config.receivers as any[]).map((receiver) => [receiver.name, receiver]));
		const routes: any[] = [];
		const walk = (route: any) => {
			routes.push(route);
			for (const child of route.routes ?? []) walk(child);
		};
		walk(config.route);
		for (const route of routes.filter((candidate) => candidate.receiver)) {
			const hooks = receivers.get(route.receiver)?.webhook_configs ?? [];
			expect({ receiver: route.receiver, hooks: hooks.map((hook: any) => [hostPort(hook.url), new URL(hook.url).pathname, hook.send_resolved]) }).toEqual(
				{
					receiver: route.receiver,
					hooks: [[`${ALERT_RECEIVER}:${receiverPort}`, "/webhook", true]],
				},
			);
		}
		// A new alert goes out a few seconds after it fires (group_wait), its resolution within the
		// next group_interval: ServiceWithoutReplica promises its notification within a minute.
		expect(seconds(config.route.group_wait)).toBeLessThanOrEqual(10);
		expect(seconds(config.route.group_interval)).toBeLessThanOrEqual(30);
		// One instance: no cluster to gossip with.
		expect(flag(am.command, "--cluster.listen-address")).toBe("");
	});

	it("runs the alert receiver from the image as its own program, health-checked on the port it listens on and publishes", () => {
		const receiver = services[ALERT_RECEIVER];
		expect(receiver.image).toBe(services.orders.image);
		expect(receiver.command.slice(0, 2)).toEqual(["node", ALERT_RECEIVER_MAIN]);
		// Compiled by the build from scripts/ (tsconfig.build.json), which the image's build stage copies.
		expect(fs.existsSync(path.join(ROOT, "scripts", "alert-receiver.ts"))).toBe(true);
		expect(parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8")).include).toContain("scripts");
		const port = Number(flag(receiver.command, "--port"));
		expect(receiver.ports.map(publishedPort)).toEqual([{ hostIp: "127.0.0.1", target: port }]);
		expect(receiver.healthcheck.test.join(" ")).toContain(`:${port}/healthz`);
		expect({ restart: receiver.restart, init: receiver.init, scale: receiver.scale }).toEqual({ restart: "unless-stopped", init: true, scale: undefined });
	});

	it("health-checks Alertmanager and the alert receiver, so a test or an operator can wait for them", () => {
		for (const name of ["alertmanager", ALERT_RECEIVER])
			expect({ name, healthcheck: Array.isArray(services[name].healthcheck?.test) }).toEqual({ name, healthcheck: true });
		expect(services.alertmanager.healthcheck.test.join(" ")).toContain(":9093/-/ready");
	});

	it("provisions Grafana with both data sources and the shop's dashboard, every panel on a provisioned source", () => {
		const grafana = services.grafana;
		const provisioning = mountedFrom(grafana, "/etc/grafana/provisioning");
		const sources = parse(fs.readFileSync(path.join(provisioning, "datasources", "datasources.yml"), "utf8")).datasources as {
			uid: string;
			type: string;
			url: string;
		}[];
		expect(sources.map((source) => [source.type, new URL(source.url).host]).sort()).toEqual([
			["prometheus", "prometheus:9090"],
			["zipkin", "zipkin:9411"],
		]);
		const providers = parse(fs.readFileSync(path.join(provisioning, "dashboards", "shop.yml"), "utf8")).providers as { options: { path: string } }[];
		const dashboards = mountedFrom(grafana, providers[0]!.options.path);
		const dashboard = JSON.parse(fs.readFileSync(path.join(dashboards, "shop.json"), "utf8"));
		expect(grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(path.posix.join(providers[0]!.options.path, "shop.json"));
		const uids = new Set(sources.map((source) => source.uid));
		expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
		for (const panel of dashboard.panels) {
			expect({ panel: panel.title, source: uids.has(panel.datasource.uid) }).toEqual({ panel: panel.title, source: true });
			expect({ panel: panel.title, queries: panel.targets.every((target: any) => typeof target.expr === "string" && target.expr.length > 0) }).toEqual({
				panel: panel.title,
				queries: true,
			});
		}
		// What the issue asks the dashboard to show, each in a panel of its own.
		const exprs = JSON.stringify(dashboard.panels.map((panel: any) => panel.targets));
		for (const metric of [
			"moleculer_request_total",
			"moleculer_request_error_total",
			"moleculer_request_time_bucket",
			"shop_orders_confirmed_total",
			"shop_orders_cancelled_total",
			"shop_orders_saga_duration_seconds_bucket",
			"shop_outbox_backlog",
			"shop_kafka_consumer_lag",
		]) {
			expect(exprs).toContain(metric);
		}
	});
});

describe("k8s/", () => {
	/** The shop's nodes; the payment sandbox's Deployment is checked on its own below, the monitoring's in monitoring.test.ts. */
	const deployments = objects("Deployment").filter(
		(deployment) => deployment.metadata.name !== SANDBOX && deployment.metadata.labels?.["app.kubernetes.io/component"] !== MONITORING,
	);

	function shopContainer(deployment: K8sObject): any {
		const containers = deployment.spec.template.spec.containers as any[];
		expect(containers).toHaveLength(1);
		return containers[0];
	}

	it("has a Deployment for each service of services/, named after it and running it alone", () => {
		expect(deployments.map((deployment) => deployment.metadata.name).sort()).toEqual(SERVICES);
		for (const deployment of deployments) {
			expect(containerEnv(shopContainer(deployment)).SERVICES).toBe(deployment.metadata.name);
			expect(deployment.spec.selector.matchLabels["app.kubernetes.io/name"]).toBe(deployment.metadata.name);
		}
	});

	it("gives every shop node a valid production configuration that points at the cluster's servers", () => {
		const services = objects("Service").map((service) => service.metadata.name);
		for (const deployment of deployments) {
			const config = expectProductionSettings(containerEnv(shopContainer(deployment)), `Deployment ${deployment.metadata.name}`);
			for (const host of hostsOf(config)) expect(services).toContain(host);
		}
		// Secrets come from the Secret, never from the ConfigMap or the manifests.
		for (const name of REQUIRED_IN_PRODUCTION) {
			expect(objects("ConfigMap").some((map) => map.data?.[name] !== undefined)).toBe(false);
			expect(objects("Secret").some((secret) => secret.data?.[name] !== undefined)).toBe(true);
		}
	});

	it("ships a Secret template whose placeholders a node refuses, so a forgotten copy cannot run", () => {
		const template = fs.readFileSync(path.join(ROOT, "k8s", "secret.env.example"), "utf8");
		const placeholders = Object.fromEntries(
			template
				.split("\n")
				.filter((line) => /^[A-Z_]+=/.test(line))
				.map((line) => line.split("=", 2) as [string, string]),
		);
		expect(Object.keys(placeholders).sort()).toEqual([...REQUIRED_IN_PRODUCTION].sort());
		const env = { ...containerEnv(shopContainer(object("Deployment", "orders"))), ...placeholders };
		expect(() => loadConfig(env)).toThrow(/JWT_SECRET must be at least 32 bytes[\s\S]*ADMIN_PASSWORD must be at least 8 characters/);
	});

	it("probes liveness and readiness on the health port the node listens on", () => {
		for (const deployment of deployments) {
			const container = shopContainer(deployment);
			const healthPort = loadConfig(containerEnv(container)).healthPort;
			const portNamed = (name: string) => container.ports.find((port: any) => port.name === name)?.containerPort;
			expect(
				[container.livenessProbe.httpGet, container.startupProbe.httpGet, container.readinessProbe.httpGet].map((get) => [
					get.path,
					portNamed(get.port),
				]),
			).toEqual([
				["/livez", healthPort],
				["/livez", healthPort],
				["/readyz", healthPort],
			]);
		}
	});

	it("exposes each node's /metrics on a port named metrics, and asks Prometheus to scrape it", () => {
		for (const deployment of deployments) {
			const container = shopContainer(deployment);
			const metricsPort = loadConfig(containerEnv(container)).metricsPort;
			expect(container.ports.find((port: any) => port.name === "metrics")?.containerPort).toBe(metricsPort);
			expect(deployment.spec.template.metadata.annotations).toMatchObject({
				"prometheus.io/scrape": "true",
				"prometheus.io/port": String(metricsPort),
				"prometheus.io/path": "/metrics",
			});
		}
	});

	it("stops a node only after it has had time to drain, runs it as non-root with requests and limits", () => {
		const shutdownSeconds = (brokerConfig.tracking?.shutdownTimeout ?? 0) / 1000;
		for (const deployment of deployments) {
			const pod = deployment.spec.template.spec;
			const container = shopContainer(deployment);
			const preStopSeconds = Number(container.lifecycle?.preStop?.exec?.command?.at(-1) ?? 0);
			expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + shutdownSeconds);
			expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number) });
			expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
			expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
			// The stores and the mail drop write below DATA_DIR: it must be a volume when the root is read-only.
			const dataDir = loadConfig(containerEnv(container)).dataDir;
			const mounts = (container.volumeMounts ?? []).map((mount: any) => (mount.readOnly ? undefined : mount.mountPath));
			expect({ name: deployment.metadata.name, writable: mounts.includes(dataDir) }).toEqual({ name: deployment.metadata.name, writable: true });
			expect(container.resources).toMatchObject({
				requests: { cpu: expect.anything(), memory: expect.anything() },
				limits: { cpu: expect.anything(), memory: expect.anything() },
			});
		}
	});

	it("gives every replica its service's CPU budget, the one compose and the bench use, as its request and its limit", () => {
		for (const deployment of deployments) {
			const { requests, limits } = shopContainer(deployment).resources;
			const budget = CPU_BUDGETS[deployment.metadata.name as ServiceName];
			expect({ name: deployment.metadata.name, request: cores(requests.cpu), limit: cores(limits.cpu) }).toEqual({
				name: deployment.metadata.name,
				request: budget,
				limit: budget,
			});
		}
	});

	it("runs the payment sandbox as one pod of the image's own program, its books on a writable volume, probed on /healthz", () => {
		const deployment = object("Deployment", SANDBOX);
		// One replica, never two at once: its books are in its own emptyDir, which no second pod shares.
		expect({ replicas: deployment.spec.replicas, strategy: deployment.spec.strategy?.type }).toEqual({ replicas: 1, strategy: "Recreate" });
		expect(objects("HorizontalPodAutoscaler").map((hpa) => hpa.spec.scaleTargetRef.name)).not.toContain(SANDBOX);
		const container = shopContainer(deployment);
		expect(container.image).toBe(shopContainer(object("Deployment", "orders")).image);
		expect([...(container.command ?? []), ...(container.args ?? [])]).toEqual(["node", SANDBOX_MAIN]);
		const env = containerEnv(container);
		expect(env.SERVICES).toBeUndefined();
		const config = expectSandboxSettings(env, `Deployment ${SANDBOX}`);
		const portNamed = (name: string) => container.ports.find((port: any) => port.name === name)?.containerPort;
		expect(
			[container.startupProbe.httpGet, container.livenessProbe.httpGet, container.readinessProbe.httpGet].map((get) => [get.path, portNamed(get.port)]),
		).toEqual([
			["/healthz", config.paymentSandbox.port],
			["/healthz", config.paymentSandbox.port],
			["/healthz", config.paymentSandbox.port],
		]);
		const pod = deployment.spec.template.spec;
		expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number) });
		expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
		const mounts = (container.volumeMounts ?? []).filter((mount: any) => !mount.readOnly).map((mount: any) => mount.mountPath);
		expect(mounts).toContain(config.paymentSandbox.dataDir);
		expect(container.resources).toMatchObject({
			requests: { cpu: expect.anything(), memory: expect.anything() },
			limits: { cpu: expect.anything(), memory: expect.anything() },
		});
	});

	it("wires the payment sandbox to the shop: payments call its Service, its webhooks go to the gateway's Service, a browser reaches it through an Ingress, both sides share the secrets", () => {
		const deployment = object("Deployment", SANDBOX);
		const sandbox = loadConfig(containerEnv(shopContainer(deployment)));
		const service = object("Service", SANDBOX);
		expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
		const target = shopContainer(deployment).ports.find((port: any) => port.name === service.spec.ports[0].targetPort)?.containerPort;
		expect(target).toBe(sandbox.paymentSandbox.port);
		// The payments pods call the Service, on its port.
		const payments = loadConfig(containerEnv(shopContainer(object("Deployment", "payments"))));
		expect(hostPort(payments.payments.processorUrl)).toBe(`${SANDBOX}:${service.spec.ports[0].port}`);
		// Its webhooks go to the Service in front of every gateway pod.
		const api = object("Service", "api");
		expect(hostPort(sandbox.paymentSandbox.webhookUrl)).toBe(`api:${api.spec.ports[0].port}`);
		// The 3-D Secure page is on its Ingress's host, and sends the customer back to the shop's.
		const hostOf = (name: string) => object("Ingress", name).spec.rules[0].host;
		expect(new URL(sandbox.paymentSandbox.publicUrl).hostname).toBe(hostOf(SANDBOX));
		const sandboxPaths = object("Ingress", SANDBOX).spec.rules[0].http.paths;
		expect(sandboxPaths.map((p: any) => [p.path, p.backend.service.name])).toEqual([["/3ds/", SANDBOX]]);
		expect(new URL(payments.payments.returnUrl.replace("{orderId}", "x")).hostname).toBe(hostOf("api"));
		// One key and one webhook secret on every side.
		const gateway = loadConfig(containerEnv(shopContainer(object("Deployment", "api"))));
		expect([paymentSecrets(payments), paymentSecrets(gateway)]).toEqual([paymentSecrets(sandbox), paymentSecrets(sandbox)]);
	});

	it("reaches the gateway through a Service and an Ingress, and autoscales the gateway, orders and payments", () => {
		const api = object("Deployment", "api");
		const service = object("Service", "api");
		expect(service.spec.selector).toEqual(api.spec.selector.matchLabels);
		expect(shopContainer(api).ports.map((port: any) => port.name)).toContain(service.spec.ports[0].targetPort);
		// Besides the payment sandbox's own (its 3-D Secure page, above), one Ingress, for the gateway.
		const shopIngresses = objects("Ingress").filter((ingress) => ingress.metadata.name !== SANDBOX);
		const ingressBackends = shopIngresses.flatMap((ingress) =>
			ingress.spec.rules.flatMap((rule: any) => rule.http.paths.map((p: any) => p.backend.service.name)),
		);
		expect(ingressBackends).toEqual(["api"]);
		// The gateway answers the storefront at / as well as the API under /api: the Ingress sends it all.
		const ingressPaths = shopIngresses.flatMap((ingress) =>
			ingress.spec.rules.flatMap((rule: any) => rule.http.paths.map((p: any) => [p.path, p.pathType])),
		);
		expect(ingressPaths).toEqual([["/", "Prefix"]]);
		const scaled = objects("HorizontalPodAutoscaler").map((hpa) => hpa.spec.scaleTargetRef);
		expect(scaled.map((target) => target.name).sort()).toEqual(["api", "orders", "payments"]);
		for (const target of scaled) expect(deployments.map((deployment) => deployment.metadata.name)).toContain(target.name);
		// An HPA owns its Deployment's replicas; a replicas field would fight it on every apply.
		for (const target of scaled) expect(object("Deployment", target.name).spec.replicas).toBeUndefined();
	});

	it("runs NATS, Kafka and MongoDB as StatefulSets, Kafka and MongoDB on persistent volumes", () => {
		expect(
			objects("StatefulSet")
				.map((set) => set.metadata.name)
				.sort(),
		).toEqual([...INFRA].sort());
		for (const name of ["kafka", "mongo"]) {
			expect(object("StatefulSet", name).spec.volumeClaimTemplates).toEqual([expect.objectContaining({ metadata: { name: "data" } })]);
		}
	});

	it("puts everything in the shop namespace", () => {
		for (const item of k8s.filter((candidate) => candidate.kind !== "Namespace")) {
			expect({ kind: item.kind, name: item.metadata.name, namespace: (item.metadata as any).namespace }).toEqual({
				kind: item.kind,
				name: item.metadata.name,
				namespace: "shop",
			});
		}
	});
});

describe("Dockerfile", () => {
	const dockerfile = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
	const dockerignore = fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n");

	it("builds on Node 22 in stages and runs as a non-root user with a health check", () => {
		expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22[-.\w]*$/m);
		expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
		const users = [...dockerfile.matchAll(/^USER (\S+)/gm)].map((match) => match[1]);
		expect(users.at(-1)).toMatch(/^[1-9]\d*(:\d+)?$/);
		expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*\/readyz/m);
		expect(dockerfile).toMatch(/^ENV [\s\S]*HEALTH_PORT=/m);
	});

	it("copies every source directory the build compiles, and the build context lets each through", () => {
		const include = (JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.build.json"), "utf8")) as { include: string[] }).include;
		const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.split(/\s+/));
		for (const entry of include) {
			expect({ entry, copied: copied.includes(entry) }).toEqual({ entry, copied: true });
			expect({ entry, allowed: dockerignore.includes(`!${entry}`) || dockerignore.includes(`!${entry}/`) }).toEqual({ entry, allowed: true });
		}
	});

	it("builds the storefront in the build stage and copies its output alone to where WEB_DIR points", () => {
		const stage = readRuntimeStage(path.join(ROOT, "Dockerfile"));
		const webDir = stage.env.WEB_DIR ?? "";
		// Absolute, so the gateway finds it whatever directory a container is started in.
		expect(path.posix.isAbsolute(webDir)).toBe(true);
		expect(
			loadConfig({
				...imageEnv(),
				JWT_SECRET: "a".repeat(32),
				ADMIN_PASSWORD: "password",
				PAYMENTS_PROCESSOR_SECRET_KEY: "sk",
				PAYMENTS_WEBHOOK_SECRET: "whsec",
			}).http.webDir,
		).toBe(webDir);
		expect(dockerfile).toMatch(/^COPY web web$/m);
		expect(dockerfile).toMatch(/^RUN npm run build:web$/m);
		// Vite's output (web/vite.config.mjs: outDir dist under web/) in the build stage's /app, and
		// nothing else of web/: no sources, no toolchain.
		const fromWeb = stage.copies.filter((copy) => copy.sources.some((source) => /\/web(\/|$)/.test(source)));
		expect(fromWeb).toEqual([{ from: "build", sources: ["/app/web/dist"], destination: webDir }]);
		// The sources reach the build context; a developer's own build and generated document do not.
		expect(dockerignore).toContain("!web/");
		expect(dockerignore).toEqual(expect.arrayContaining(["web/dist", "web/openapi.json"]));
		expect(dockerignore.indexOf("web/dist")).toBeGreaterThan(dockerignore.indexOf("!web/"));
	});
});
