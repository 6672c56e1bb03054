import type { AnyDomainEvent, Customer, OrderConfirmed } from "../../contracts";
import { startMailServer, type MailServer } from "../helpers/mail";
import { startShop, type TestShop } from "../helpers/shop";
import { freePort } from "../helpers/net";
import { sample, scrape } from "../helpers/observability";
import { waitFor } from "../helpers/wait";

describe("dead letters", () => {
	let shop: TestShop;
	let smtpPort: number;
	let metricsUrl: string;
	let mail: MailServer | undefined;

	beforeAll(async () => {
		smtpPort = await freePort();
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		// The mail server is down at first: every attempt to send fails until it comes up.
		shop = await startShop({
			services: ["customers", "notifications"],
			env: {
				METRICS_PORT: String(metricsPort),
				SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
				EVENT_MAX_ATTEMPTS: "3",
				EVENT_RETRY_BASE_MS: "20",
				OUTBOX_RELAY_MS: "50",
			},
		});
	});
	afterAll(async () => {
		await shop.destroy();
		await mail?.close();
	});

	it("parks an event whose handler keeps failing, and redriving it once the cause is gone handles it once", async () => {
		const customer = await shop.broker.call<Customer, object>("customers.register", { email: "dl@example.com", password: "long-enough-pw", name: "DL" });
		const event: OrderConfirmed = {
			id: "evt-dead-letter-1",
			type: "order.confirmed",
			occurredAt: new Date().toISOString(),
			aggregateId: "order-dl-1",
			correlationId: "order-dl-1",
			orderId: "order-dl-1",
			customerId: customer.id,
			totalCents: 1000,
			currency: "EUR",
		};
		await shop.broker.emit(event.type, event as AnyDomainEvent);

		const dead = await waitFor(
			() => shop.broker.call<{ id: string; attempts: number; lastError: string }[], object>("notifications.deadLetters", {}),
			(rows) => rows.length > 0,
		);
		expect(dead).toEqual([expect.objectContaining({ id: event.id, attempts: 3, lastError: expect.stringMatching(/ECONNREFUSED/) })]);
		expect(sample(await scrape(metricsUrl), "shop_events_dead_letters_total", { service: "notifications", type: "order.confirmed" })).toBe(1);

		mail = await startMailServer(smtpPort);

		const redriven = await shop.broker.call<{ id: string; status: string }[], object>("notifications.redriveDeadLetters", {});
		expect(redriven).toEqual([{ id: event.id, status: "DONE" }]);
		expect(mail.delivered).toEqual(["dl@example.com"]);
		expect(await shop.broker.call("notifications.deadLetters", {})).toEqual([]);

		// Delivered again afterwards, the event is a duplicate: no second email.
		await shop.broker.emit(event.type, event as AnyDomainEvent);
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(mail.delivered).toEqual(["dl@example.com"]);
	});
});
