import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type Service } from "moleculer";
import paymentSandboxService from "./payment-sandbox.service";
import type { PaymentSandbox } from "./sandbox";

/** Fresh books each run: what a run wrote under a fixed folder would answer the next run's same Idempotency-Key. */
const DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-service-"));
const ENV = { DATA_DIR, PAYMENT_SANDBOX_PORT: "0", PAYMENTS_PROCESSOR_SECRET_KEY: "sk_test_service", PAYMENT_SANDBOX_WEBHOOK_MODE: "never" };

describe("the payment-sandbox service", () => {
	const saved = Object.fromEntries(Object.keys(ENV).map((name) => [name, process.env[name]]));
	afterAll(() => {
		fs.rmSync(DATA_DIR, { recursive: true, force: true });
		for (const [name, value] of Object.entries(saved)) {
			if (value === undefined) delete process.env[name];
			else process.env[name] = value;
		}
	});

	it("starts the sandbox with the broker, from the configuration, and stops it with it", async () => {
		Object.assign(process.env, ENV);
		const broker = new ServiceBroker({ logger: false });
		const service = broker.createService(paymentSandboxService()) as Service & { sandbox: PaymentSandbox };
		const info = jest.spyOn(service.logger, "info");
		await broker.start();
		const sandbox = service.sandbox;
		try {
			expect(info).toHaveBeenCalledWith(`Payment sandbox on ${sandbox.url}`);
			expect(await (await fetch(`${sandbox.url}/healthz`)).json()).toEqual({ ok: true });
			const intent = await fetch(`${sandbox.url}/v1/payment_intents`, {
				method: "POST",
				headers: { authorization: "Bearer sk_test_service", "idempotency-key": "service-test" },
				body: JSON.stringify({ amount: 100, currency: "eur", payment_method: "tok_3ds", confirm: true }),
			});
			const body = (await intent.json()) as { next_action: { redirect_to_url: { url: string } } };
			// PAYMENT_SANDBOX_PORT=0 names no port: the 3-D Secure link carries the one it got.
			expect(body.next_action.redirect_to_url.url).toMatch(new RegExp(`^http://localhost:${sandbox.port}/3ds/`));
		} finally {
			await broker.stop();
		}
		await expect(fetch(`${sandbox.url}/healthz`)).rejects.toThrow();
	});
});
