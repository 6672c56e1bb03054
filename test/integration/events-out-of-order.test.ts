import type { AnyDomainEvent, OrderCreated, Payment, StockReserved } from "../../contracts";
import type { InboxDoc } from "../../mixins/events";
import type { Collection } from "../../mixins/store.mixin";
import { startShop, type ServiceName, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * Payments can charge only an order it has heard of: a stock.reserved that comes before the
 * order's order.created (another topic, maybe held up on a dead replica's partition) waits in
 * the inbox until it has.
 */

/** An order's stock.reserved and the order.created it depends on, as the bus would carry them. */
function orderEvents(orderId: string, totalCents: number): { reserved: StockReserved; created: OrderCreated } {
	const envelope = { occurredAt: new Date().toISOString(), aggregateId: orderId, correlationId: orderId, orderId };
	return {
		reserved: { ...envelope, id: `${orderId}-reserved`, type: "stock.reserved", items: [{ productId: "p1", qty: 1 }] },
		created: {
			...envelope,
			id: `${orderId}-created`,
			type: "order.created",
			customerId: `customer-of-${orderId}`,
			items: [{ productId: "p1", qty: 1, unitPriceCents: totalCents }],
			totalCents,
			currency: "EUR",
			paymentMethod: "tok_visa",
		},
	};
}

function inboxOf(shop: TestShop): Collection<InboxDoc> {
	return (shop.broker.getLocalService("payments") as unknown as { collections: { inbox: Collection<InboxDoc> } }).collections.inbox;
}

const ADMIN = { meta: { user: { id: "admin-1", role: "admin" } } };

function paymentOf(shop: TestShop, orderId: string): Promise<Payment | undefined> {
	return shop.broker
		.call<{ rows: Payment[] }, object>("payments.list", { orderId }, ADMIN)
		.then((page) => page.rows[0])
		.catch(() => undefined);
}

/** The order's payment once it is SETTLED, or as it is when `timeoutMs` runs out. */
function settledPayment(shop: TestShop, orderId: string, timeoutMs: number): Promise<Payment | undefined> {
	return waitFor(
		() => paymentOf(shop, orderId),
		(payment) => payment?.status === "SETTLED",
		timeoutMs,
	);
}

/** Payments, and what settles a payment: the processor sandbox and the gateway that takes its webhooks. */
const PAYMENT_SERVICES: ServiceName[] = ["api", "payments", "payment-sandbox"];

describe("an event that arrives before the one it depends on", () => {
	describe("with retries far apart", () => {
		let shop: TestShop;
		// The backoff alone would wait 30 s before trying the early event again.
		beforeAll(async () => (shop = await startShop({ services: PAYMENT_SERVICES, env: { EVENT_RETRY_BASE_MS: "30000" } })));
		afterAll(() => shop.destroy());

		it("is handled as soon as this node has handled the event it waited for, not after its retry delay", async () => {
			const { reserved, created } = orderEvents("order-early-1", 1250);
			await shop.broker.emit(reserved.type, reserved as AnyDomainEvent);
			await waitFor(
				() => inboxOf(shop).findOne({ _id: reserved.id }),
				(doc) => doc?.status === "RETRY",
			);
			await shop.broker.emit(created.type, created as AnyDomainEvent);

			expect(await settledPayment(shop, created.orderId, 5000)).toMatchObject({ status: "SETTLED", amountCents: 1250 });
		});
	});

	describe("with few quick retries", () => {
		let shop: TestShop;
		beforeAll(
			async () =>
				(shop = await startShop({ services: PAYMENT_SERVICES, env: { EVENT_MAX_ATTEMPTS: "3", EVENT_RETRY_BASE_MS: "20", OUTBOX_RELAY_MS: "50" } })),
		);
		afterAll(() => shop.destroy());

		it("waits for it past EVENT_MAX_ATTEMPTS instead of becoming a dead letter, and is handled once it has come", async () => {
			const { reserved, created } = orderEvents("order-late-1", 700);
			await shop.broker.emit(reserved.type, reserved as AnyDomainEvent);

			// order.created is late, as it is while a dead payments replica's partitions move: many attempts on, the event still waits.
			const waiting = await waitFor(
				() => inboxOf(shop).findOne({ _id: reserved.id }),
				(doc) => (doc?.attempts ?? 0) > 6,
				10_000,
			);
			expect(waiting).toMatchObject({ attempts: expect.any(Number), status: expect.stringMatching(/^(RETRY|PROCESSING)$/) });
			expect(waiting!.attempts).toBeGreaterThan(6);
			expect(await shop.broker.call("payments.deadLetters", {})).toEqual([]);

			await shop.broker.emit(created.type, created as AnyDomainEvent);
			expect(await settledPayment(shop, created.orderId, 10_000)).toMatchObject({ status: "SETTLED", amountCents: 700 });
			// Handled, and recorded in the payment it moved, so its inbox document is gone.
			expect(await inboxOf(shop).findOne({ _id: reserved.id })).toBeNull();
		});
	});
});
