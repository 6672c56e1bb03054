import type { ShopConfig } from "../../lib/env";
import type { PaymentSandboxOptions } from "./sandbox";
import type { SandboxLog } from "./webhooks";

/**
 * The sandbox's options from the shop's configuration (lib/env.ts): its own section, with the
 * shop's key at the processor and the webhook secret, which both sides must share.
 */
export function sandboxOptionsFrom(config: ShopConfig, host: string, log: SandboxLog): PaymentSandboxOptions {
	const sandbox = config.paymentSandbox;
	return {
		port: sandbox.port,
		host,
		// On port 0 the configured default (http://localhost:0) names no port: the sandbox fills in the one it gets.
		publicUrl: sandbox.port === 0 && /:0$/.test(sandbox.publicUrl) ? undefined : sandbox.publicUrl,
		webhookUrl: sandbox.webhookUrl,
		secretKey: config.payments.processorSecretKey,
		webhookSecret: config.payments.webhookSecret,
		dataDir: sandbox.dataDir,
		slowMs: sandbox.slowMs,
		refundMs: sandbox.refundMs,
		webhookRetryMs: sandbox.webhookRetryMs,
		webhookMode: sandbox.webhookMode,
		webhookDelayMs: sandbox.webhookDelayMs,
		log,
	};
}
