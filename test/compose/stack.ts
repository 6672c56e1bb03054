import { execFile, spawn } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Notification } from "../../scripts/alert-receiver";
import { ROOT } from "../../scripts/cluster-lib";
import type { Processor } from "../helpers/processor";
import { waitFor } from "../helpers/wait";

const run = promisify(execFile);
/** The client scripts/docker/test.sh names (Debian's, the engine's own version), else the one on PATH. */
const DOCKER = process.env.DOCKER_CLI ?? "docker";

/** The compose files as docs/deployment.md runs them on a machine without a container registry. */
const FILES = ["docker-compose.yml", "docker-compose.local.yml"];
const FILE_ARGS = FILES.flatMap((file) => ["-f", path.join(ROOT, file)]);
export const COMPOSE_ADMIN = { email: "admin@shop.local", password: "compose-test-admin-password" };

export interface Container {
	id: string;
	name: string;
	service: string;
	/** running, exited, ... */
	state: string;
	/** healthy, starting, unhealthy, or "" for a container without a health check. */
	health: string;
}

/**
 * The shop's docker-compose.yml stack under a project name of the test's own, driven with
 * Debian's docker-compose and the docker client as a user at the console would; the engine is
 * DOCKER_HOST's (scripts/docker/test.sh sets it).
 */
export class ComposeStack {
	/** The published gateway: the storefront at its root, the API under /api. */
	readonly origin: string;
	/** The API. */
	readonly baseUrl: string;
	/** The payment sandbox's API on the port it publishes, with the shop's key: the processor's books. */
	readonly processor: Processor;
	private readonly env: NodeJS.ProcessEnv;

	constructor(
		readonly project: string,
		readonly ports: { http: number; prometheus: number; zipkin: number; sandbox: number; alertmanager: number; alertReceiver: number },
	) {
		this.origin = `http://127.0.0.1:${ports.http}`;
		this.baseUrl = `${this.origin}/api`;
		this.processor = { url: `http://127.0.0.1:${ports.sandbox}`, secretKey: "sk_test_compose_stack" };
		this.env = {
			...process.env,
			COMPOSE_PROJECT_NAME: project,
			JWT_SECRET: "compose-test-secret-that-is-at-least-32-bytes",
			ADMIN_PASSWORD: COMPOSE_ADMIN.password,
			PAYMENTS_PROCESSOR_SECRET_KEY: this.processor.secretKey,
			PAYMENTS_WEBHOOK_SECRET: "whsec_compose_stack",
			SHOP_HTTP_PORT: String(ports.http),
			PAYMENT_SANDBOX_HTTP_PORT: String(ports.sandbox),
			PROMETHEUS_PORT: String(ports.prometheus),
			ZIPKIN_PORT: String(ports.zipkin),
			ALERTMANAGER_PORT: String(ports.alertmanager),
			ALERT_RECEIVER_PORT: String(ports.alertReceiver),
			// Labelled parcels stay put for the suite: its checks take CONFIRMED as the saga's end.
			CARRIER_DISPATCH_AFTER_MS: "3600000",
			CARRIER_DELIVER_AFTER_MS: "3600000",
			// Orders wait out a service stopped on purpose (every payments container, until an alert
			// fires and a while after) instead of being cancelled after the default minute.
			SAGA_STEP_TIMEOUT_MS: "300000",
		};
	}

	/** `docker-compose -f docker-compose.yml -f docker-compose.local.yml ARGS`; its output. */
	async compose(...args: string[]): Promise<string> {
		try {
			const { stdout } = await run("docker-compose", [...FILE_ARGS, "--profile", "observability", ...args], {
				cwd: ROOT,
				env: this.env,
				maxBuffer: 64 << 20,
			});
			return stdout;
		} catch (err) {
			const { stderr, stdout } = err as { stderr?: string; stdout?: string };
			throw new Error(`docker-compose ${args.join(" ")} failed:\n${stderr ?? ""}${stdout ?? ""}`);
		}
	}

	/**
	 * `docker-compose run --rm -T repl` (the REPL profile) with its input and output in the test's
	 * hands, as a user at the console would type into it.
	 */
	repl(): ReplSession {
		const child = spawn("docker-compose", [...FILE_ARGS, "run", "--rm", "-T", "repl"], {
			cwd: ROOT,
			env: this.env,
			stdio: ["pipe", "pipe", "pipe"],
		});
		return new ReplSession(child);
	}

	async docker(...args: string[]): Promise<string> {
		try {
			return (await run(DOCKER, args, { env: this.env, maxBuffer: 64 << 20 })).stdout;
		} catch (err) {
			throw new Error(`docker ${args.join(" ")} failed:\n${(err as { stderr?: string }).stderr ?? ""}`);
		}
	}

	/** Every container of the project, running or not. */
	async containers(): Promise<Container[]> {
		const ids = (await this.docker("ps", "-aq", "--filter", `label=com.docker.compose.project=${this.project}`)).split("\n").filter(Boolean);
		if (ids.length === 0) return [];
		type Inspected = { Id: string; Name: string; Config: { Labels: Record<string, string> }; State: { Status: string; Health?: { Status: string } } };
		return (JSON.parse(await this.docker("inspect", ...ids)) as Inspected[]).map((c) => ({
			id: c.Id,
			name: c.Name.replace(/^\//, ""),
			service: c.Config.Labels["com.docker.compose.service"] ?? "",
			state: c.State.Status,
			health: c.State.Health?.Status ?? "",
		}));
	}

	async running(service: string): Promise<Container[]> {
		return (await this.containers()).filter((container) => container.service === service && container.state === "running");
	}

	/** Until every running container with a health check is healthy and none has stopped; the containers then. */
	async waitHealthy(timeoutMs = 240_000): Promise<Container[]> {
		const settled = (containers: Container[]) =>
			containers.length > 0 && containers.every((c) => c.state === "running" && (c.health === "" || c.health === "healthy"));
		const containers = await waitFor(() => this.containers(), settled, timeoutMs, 1000);
		if (!settled(containers)) {
			const sick = containers.filter((c) => c.state !== "running" || (c.health !== "" && c.health !== "healthy"));
			const logs = await Promise.all(sick.slice(0, 3).map(async (c) => `--- ${c.name} (${c.state} ${c.health})\n${await this.logs(c, 30)}`));
			throw new Error(`not healthy after ${timeoutMs} ms: ${sick.map((c) => `${c.name} ${c.state} ${c.health}`).join(", ")}\n${logs.join("\n")}`);
		}
		return containers;
	}

	/** A container's log (stdout and stderr), the last `tail` lines or all of it. */
	async logs(container: Container, tail?: number): Promise<string> {
		try {
			const { stdout, stderr } = await run(DOCKER, ["logs", ...(tail ? ["--tail", String(tail)] : []), container.id], {
				env: this.env,
				maxBuffer: 256 << 20,
			});
			return stdout + stderr;
		} catch (err) {
			return `(no log: ${(err as Error).message})`;
		}
	}

	/** The container's address on the project's network, which the host reaches directly. */
	async address(container: Container): Promise<string> {
		return (await this.docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", container.id)).trim().split(" ")[0]!;
	}

	/** The notifications Alertmanager sent the alert receiver (the observability profile's), oldest first; none while it does not answer. */
	async receivedAlerts(): Promise<Notification[]> {
		const res = await fetch(`http://127.0.0.1:${this.ports.alertReceiver}/alerts`).catch(() => undefined);
		return res?.ok ? ((await res.json()) as Notification[]) : [];
	}

	/** Prometheus's HTTP API on its published port: `data` of GET /api/v1/<what>. */
	async prometheus<T>(what: string): Promise<T> {
		const res = await fetch(`http://127.0.0.1:${this.ports.prometheus}/api/v1/${what}`);
		if (!res.ok) throw new Error(`Prometheus answered ${res.status} to ${what}: ${await res.text()}`);
		return ((await res.json()) as { data: T }).data;
	}

	/** When a container last started and stopped (the engine's clock, the host's). */
	async times(container: Container): Promise<{ startedAt: number; finishedAt: number }> {
		const [started, finished] = (await this.docker("inspect", "--format", "{{.State.StartedAt}} {{.State.FinishedAt}}", container.id)).trim().split(" ");
		return { startedAt: Date.parse(started!), finishedAt: Date.parse(finished!) };
	}

	/** The host ports a container publishes, as "ip:port" per container port. */
	async published(container: Container): Promise<string[]> {
		const format = "{{range $port, $bindings := .NetworkSettings.Ports}}{{range $bindings}}{{$port}}={{.HostIp}}:{{.HostPort}} {{end}}{{end}}";
		return (await this.docker("inspect", "--format", format, container.id)).trim().split(/\s+/).filter(Boolean);
	}
}

/** A REPL run in the stack: what it printed so far, a line to type, and a wait for what it prints. */
export class ReplSession {
	output = "";
	readonly exited: Promise<number | null>;

	constructor(private readonly child: ReturnType<typeof spawn>) {
		for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
		this.exited = new Promise((resolve) => child.once("exit", resolve));
	}

	type(line: string): void {
		this.child.stdin!.write(`${line}\n`);
	}

	/** Types `line` (again every few seconds while nothing matches) until the output after it matches `pattern`; that output. */
	async typeUntil(line: string, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
		const from = this.output.length;
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			this.type(line);
			const seen = await waitFor(
				async () => this.output.slice(from),
				(text) => pattern.test(text),
				5000,
				100,
			);
			if (pattern.test(seen)) return seen;
		}
		throw new Error(`the REPL printed nothing matching ${pattern} after "${line}" in ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
	}

	kill(): void {
		this.child.kill("SIGKILL");
	}
}
