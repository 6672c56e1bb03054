import type { Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import { loadConfig } from "../../lib/env";
import { sandboxOptionsFrom } from "./configured";
import { startPaymentSandbox, type PaymentSandbox } from "./sandbox";

type Vars = { sandbox?: PaymentSandbox };
type PaymentSandboxService = Service & Vars;

/**
 * The card processor sandbox inside the shop's process: in the embedded default (every service
 * in one process) it comes up with the shop. It has no actions: the shop reaches it over HTTP
 * only, as it would a real processor; a cluster runs it as its own process (main.ts) instead.
 */
export default function paymentSandboxService(): ServiceSchema<ServiceSettingSchema, Record<string, never>, Vars> {
	const config = loadConfig();
	return {
		name: "payment-sandbox",

		async started(this: PaymentSandboxService) {
			const log = {
				info: (message: string) => this.logger.info(message),
				warn: (message: string, err?: unknown) => (err === undefined ? this.logger.warn(message) : this.logger.warn(message, err)),
			};
			// On the gateway's interface: a customer's browser must reach its 3-D Secure page as it reaches the shop.
			this.sandbox = await startPaymentSandbox(sandboxOptionsFrom(config, config.http.host, log));
			this.logger.info(`Payment sandbox on ${this.sandbox.url}`);
		},

		async stopped(this: PaymentSandboxService) {
			await this.sandbox?.stop();
		},
	};
}
