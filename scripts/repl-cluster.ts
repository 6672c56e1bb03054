import { spawn } from "node:child_process";
import { BROKER_CONFIG, ROOT, RUNNER, readInfraEnv, shopNodeOptions } from "./cluster-lib";

/*
 * `npm run repl:cluster`: the Moleculer REPL as one more node of a running cluster. It runs no
 * services of its own; `nodes`, `services`, `call orders.list` or `call notifications.deadLetters`
 * reach the cluster's nodes over NATS.
 */

const natsUrl = process.env.NATS_URL ?? readInfraEnv().NATS_URL;
if (!natsUrl) {
	console.error("NATS_URL is not set: run `npm run infra:up` (and `npm run cluster`) first, or set it to your NATS server.");
	process.exit(2);
}
const repl = spawn(process.execPath, [RUNNER, "--config", BROKER_CONFIG, "--repl"], {
	cwd: ROOT,
	// The REPL node must not open a gateway port or load services from the environment.
	env: { ...process.env, NATS_URL: natsUrl, SERVICES: "", SERVICEDIR: "", NODE_OPTIONS: shopNodeOptions() },
	stdio: "inherit",
});
repl.on("exit", (code) => process.exit(code ?? 1));
