import { loadConfig } from "../../lib/env";
import { sandboxOptionsFrom } from "./configured";
import { startPaymentSandbox } from "./sandbox";

/*
 * The sandbox as its own process (its own container in a cluster):
 * `node dist/services/payment-sandbox/main.js`. It listens on HOST and PAYMENT_SANDBOX_PORT and
 * stops gracefully on SIGTERM or SIGINT; a second signal stops it at once.
 */

function line(level: "info" | "warn", message: string): string {
	return `${new Date().toISOString()} ${level.toUpperCase()} payment-sandbox: ${message}`;
}

const log = {
	info: (message: string) => console.log(line("info", message)),
	warn: (message: string, err?: unknown) => console.warn(line("warn", message), ...(err === undefined ? [] : [err])),
};

async function main(): Promise<void> {
	const config = loadConfig();
	const sandbox = await startPaymentSandbox(sandboxOptionsFrom(config, config.http.host, log));
	log.info(`Payment sandbox on ${sandbox.url}`);
	let stopping = false;
	const onSignal = (signal: NodeJS.Signals) => {
		if (stopping) process.exit(1);
		stopping = true;
		log.info(`${signal}: stopping`);
		sandbox.stop().then(
			() => log.info("Stopped"),
			(err: unknown) => {
				log.warn("Could not stop cleanly", err);
				process.exitCode = 1;
			},
		);
	};
	process.on("SIGTERM", onSignal);
	process.on("SIGINT", onSignal);
}

main().catch((err: unknown) => {
	log.warn("Payment sandbox could not start", err);
	process.exit(1);
});
