import { SMTPServer } from "smtp-server";
import type { AnyDomainEvent, Customer, OrderConfirmed, OrderCreated, Payment, StockReserved } from "../../contracts";
import type { InboxDoc } from "../../mixins/events.mixin";
import type { Collection } from "../../mixins/store.mixin";
import { startShop, type TestShop } from "../helpers/shop";
import { freePort } from "../helpers/net";
import { sample, scrape } from "../helpers/observability";
import { waitFor } from "../helpers/wait";

describe("dead letters", () => {
	let shop: TestShop;
	let smtpPort: number;
	let metricsUrl: string;
	let smtp: SMTPServer | undefined;
	const delivered: string[] = [];

	beforeAll(async () => {
		smtpPort = await freePort();
		const metricsPort = await freePort();
		metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
		// The mail server is down at first: every attempt to send fails until it comes up.
		shop = await startShop({
			services: ["customers", "notifications"],
			env: { METRICS_PORT: String(metricsPort), SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, EVENT_MAX_ATTEMPTS: "3", EVENT_RETRY_BASE_MS: "20", OUTBOX_RELAY_MS: "50" },
		});
	});
	afterAll(async () => {
		await shop.destroy();
		await new Promise((resolve) => (smtp ? smtp.close(() => resolve(undefined)) : resolve(undefined)));
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

		smtp = new SMTPServer({
			authOptional: true,
			disabledCommands: ["AUTH", "STARTTLS"],
			onData(stream, session, callback) {
				stream.resume();
				stream.on("end", () => {
					delivered.push(session.envelope.rcptTo.map((rcpt) => rcpt.address).join(","));
					callback();
				});
			},
		});
		await new Promise<void>((resolve) => smtp!.listen(smtpPort, "127.0.0.1", resolve));

		const redriven = await shop.broker.call<{ id: string; status: string }[], object>("notifications.redriveDeadLetters", {});
		expect(redriven).toEqual([{ id: event.id, status: "DONE" }]);
		expect(delivered).toEqual(["dl@example.com"]);
		expect(await shop.broker.call("notifications.deadLetters", {})).toEqual([]);

		// Delivered again afterwards, the event is a duplicate: no second email.
		await shop.broker.emit(event.type, event as AnyDomainEvent);
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(delivered).toEqual(["dl@example.com"]);
	});
});

describe("an event that arrives before the one it depends on", () => {
	let shop: TestShop;

	beforeAll(async () => {
		shop = await startShop({ services: ["payments"], env: { EVENT_MAX_ATTEMPTS: "3", EVENT_RETRY_BASE_MS: "20", OUTBOX_RELAY_MS: "50" } });
	});
	afterAll(() => shop.destroy());

	it("waits for it past EVENT_MAX_ATTEMPTS instead of becoming a dead letter, and is handled once it has come", async () => {
		const ids = { aggregateId: "order-late-1", correlationId: "order-late-1", orderId: "order-late-1" };
		const reserved: StockReserved = { ...ids, id: "evt-early-1", type: "stock.reserved", occurredAt: new Date().toISOString(), items: [{ productId: "p1", qty: 1 }] };
		await shop.broker.emit(reserved.type, reserved as AnyDomainEvent);

		// order.created is late, as it is while a dead payments replica's partitions move: many attempts on, the event still waits.
		const { inbox } = (shop.broker.getLocalService("payments") as unknown as { collections: { inbox: Collection<InboxDoc> } }).collections;
		const waiting = await waitFor(() => inbox.findOne({ _id: reserved.id }), (doc) => (doc?.attempts ?? 0) > 6, 10_000);
		expect(waiting).toMatchObject({ attempts: expect.any(Number), status: expect.stringMatching(/^(RETRY|PROCESSING)$/) });
		expect(waiting!.attempts).toBeGreaterThan(6);
		expect(await shop.broker.call("payments.deadLetters", {})).toEqual([]);

		const created: OrderCreated = {
			...ids,
			id: "evt-late-1",
			type: "order.created",
			occurredAt: new Date().toISOString(),
			customerId: "customer-late-1",
			items: [{ productId: "p1", qty: 1, unitPriceCents: 700 }],
			totalCents: 700,
			currency: "EUR",
			paymentMethod: "tok_visa",
		};
		await shop.broker.emit(created.type, created as AnyDomainEvent);
		const admin = { meta: { user: { id: "admin-1", role: "admin" } } };
		const settled = await waitFor(
			async () => (await shop.broker.call<{ rows: Payment[] }, object>("payments.list", { orderId: ids.orderId }, admin).catch(() => ({ rows: [] }))).rows[0],
			(payment) => payment?.status === "SETTLED",
			10_000,
		);
		expect(settled).toMatchObject({ status: "SETTLED", amountCents: 700 });
		expect(await inbox.findOne({ _id: reserved.id })).toMatchObject({ status: "DONE" });
	});
});
