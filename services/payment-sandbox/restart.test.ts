import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PaymentSandbox } from "./sandbox";
import { call, intentWith, startSandbox, waitFor, WebhookReceiver } from "./test-harness";

let receiver: WebhookReceiver;
let dataDir: string;

beforeEach(async () => {
	receiver = await WebhookReceiver.start();
	dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "payment-sandbox-"));
});

afterEach(async () => {
	await receiver.stop();
	await fs.rm(dataDir, { recursive: true, force: true });
});

async function timedStop(sandbox: PaymentSandbox): Promise<number> {
	const startedAt = Date.now();
	await sandbox.stop();
	return Date.now() - startedAt;
}

describe("a stop and a start on the same data directory", () => {
	it("keeps intents, refunds, events and keys, and finishes what was due: a slow card, a refund, undelivered webhooks", async () => {
		receiver.respond = () => 500;
		const first = await startSandbox(receiver.url, { dataDir, slowMs: 1500, refundMs: 1500, webhookRetryMs: 1000 });
		const key = `restart-${Date.now()}`;
		const paid = await call(first, "POST", "/v1/payment_intents", {
			key,
			body: { amount: 1999, currency: "eur", payment_method: "tok_visa", confirm: true },
		});
		const refund = await call(first, "POST", "/v1/refunds", { body: { payment_intent: paid.body.id, amount: 300 } });
		const slow = await intentWith(first, "tok_slow");
		expect([paid.body.status, refund.body.status, slow.body.status]).toEqual(["succeeded", "pending", "processing"]);
		await waitFor(
			() => receiver.received.length,
			(count) => count >= 3,
		);
		expect(await timedStop(first)).toBeLessThan(2000);
		expect(receiver.delivered()).toHaveLength(0);

		receiver.respond = () => 200;
		const second = await startSandbox(receiver.url, { dataDir });
		try {
			expect(second.port).not.toBe(first.port);
			expect((await call(second, "GET", `/v1/payment_intents/${paid.body.id}`)).body).toMatchObject({ status: "succeeded", version: 2 });
			const replay = await call(second, "POST", "/v1/payment_intents", {
				key,
				body: { amount: 1999, currency: "eur", payment_method: "tok_visa", confirm: true },
			});
			expect(replay.text).toBe(paid.text);
			expect(replay.headers.get("idempotent-replayed")).toBe("true");

			const slowNow = await waitFor(
				async () => (await call(second, "GET", `/v1/payment_intents/${slow.body.id}`)).body,
				(intent) => intent.status === "succeeded",
			);
			expect(slowNow).toMatchObject({ status: "succeeded", version: 3 });
			const refundNow = await waitFor(
				async () => (await call(second, "GET", `/v1/refunds/${refund.body.id}`)).body,
				(current) => current.status === "succeeded",
			);
			expect(refundNow.status).toBe("succeeded");
			expect((await call(second, "GET", `/v1/payment_intents/${paid.body.id}`)).body).toMatchObject({ amount_refunded: 300, version: 3 });

			// Every event of the first run reaches the receiver after all, and the second run's too.
			const types = (id: string) => receiver.about(id).map((event) => event.type);
			await waitFor(
				() => receiver.delivered().length,
				(count) => count >= 5,
				10_000,
			);
			expect(types(paid.body.id)).toEqual(["payment_intent.succeeded"]);
			expect(types(refund.body.id).sort()).toEqual(["refund.created", "refund.updated"]);
			expect(types(slow.body.id).sort()).toEqual(["payment_intent.processing", "payment_intent.succeeded"]);

			// Newest first goes on across the restart.
			const fresh = (await intentWith(second, "tok_visa")).body.id as string;
			const listed = (await call(second, "GET", "/v1/payment_intents?limit=3")).body.data.map((intent: { id: string }) => intent.id);
			expect(listed).toEqual([fresh, slow.body.id, paid.body.id]);
		} finally {
			await second.stop();
		}
	});

	it("stops within a second or two while a webhook is unanswered and API sockets are kept alive", async () => {
		receiver.respond = () => 0;
		const sandbox = await startSandbox(receiver.url, { dataDir });
		const id = (await intentWith(sandbox, "tok_visa")).body.id as string;
		await waitFor(
			() => receiver.received.length,
			(count) => count >= 1,
		);
		expect(await timedStop(sandbox)).toBeLessThan(1500);

		// The POST cut short by the stop is still due: the next run sends it.
		receiver.respond = () => 200;
		const again = await startSandbox(receiver.url, { dataDir });
		try {
			expect(
				await waitFor(
					() => receiver.about(id).length,
					(count) => count >= 1,
				),
			).toBe(1);
		} finally {
			await again.stop();
		}
	});
});
