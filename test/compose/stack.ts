import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../scripts/cluster-lib";
import { waitFor } from "../helpers/wait";

const run = promisify(execFile);
/** The client scripts/docker/test.sh names (Debian's, the engine's own version), else the one on PATH. */
const DOCKER = process.env.DOCKER_CLI ?? "docker";

/** The compose files as the README runs them on a machine without a container registry. */
const FILES = ["docker-compose.yml", "docker-compose.local.yml"];
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
	private readonly env: NodeJS.ProcessEnv;

	constructor(
		readonly project: string,
		readonly ports: { http: number; prometheus: number; zipkin: number },
	) {
		this.origin = `http://127.0.0.1:${ports.http}`;
		this.baseUrl = `${this.origin}/api`;
		this.env = {
			...process.env,
			COMPOSE_PROJECT_NAME: project,
			JWT_SECRET: "compose-test-secret-that-is-at-least-32-bytes",
			ADMIN_PASSWORD: COMPOSE_ADMIN.password,
			SHOP_HTTP_PORT: String(ports.http),
			PROMETHEUS_PORT: String(ports.prometheus),
			ZIPKIN_PORT: String(ports.zipkin),
		};
	}

	/** `docker-compose -f docker-compose.yml -f docker-compose.local.yml ARGS`; its output. */
	async compose(...args: string[]): Promise<string> {
		try {
			const { stdout } = await run("docker-compose", [...FILES.flatMap((file) => ["-f", path.join(ROOT, file)]), "--profile", "observability", ...args], {
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

	/** The host ports a container publishes, as "ip:port" per container port. */
	async published(container: Container): Promise<string[]> {
		const format = "{{range $port, $bindings := .NetworkSettings.Ports}}{{range $bindings}}{{$port}}={{.HostIp}}:{{.HostPort}} {{end}}{{end}}";
		return (await this.docker("inspect", "--format", format, container.id)).trim().split(/\s+/).filter(Boolean);
	}
}
