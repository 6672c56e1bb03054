import type { AnyDomainEvent, OrderCreated, StockReserved } from "../../contracts";
import { startShop, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/** Records the payment events payments publishes, as any consumer on the bus would see them. */
function spyService(seen: AnyDomainEvent[]) {
	return { name: "spy", events: { "payment.*": (ctx: { params: AnyDomainEvent }) => void seen.push(ctx.params) } } as never;
}

describe("an event that arrives before the event it depends on", () => {
	let shop: TestShop;
	const seen: AnyDomainEvent[] = [];

	beforeAll(async () => {
		// The backoff alone would wait 30 s before trying the early event again.
		shop = await startShop({ services: ["payments"], extra: [spyService(seen)], env: { EVENT_RETRY_BASE_MS: "30000" } });
	});
	afterAll(() => shop.destroy());

	it("is handled as soon as this node has handled the event it waited for, not after its retry delay", async () => {
		const orderId = "order-early-1";
		const envelope = { occurredAt: new Date().toISOString(), aggregateId: orderId, correlationId: orderId };
		const reserved: StockReserved = { ...envelope, id: "evt-early-reserved", type: "stock.reserved", orderId, items: [{ productId: "p1", qty: 1 }] };
		const created: OrderCreated = {
			...envelope,
			id: "evt-early-created",
			type: "order.created",
			orderId,
			customerId: "customer-1",
			items: [{ productId: "p1", qty: 1, unitPriceCents: 1250 }],
			totalCents: 1250,
			currency: "EUR",
			paymentMethod: "tok_visa",
		};
		// Payments cannot charge an order it has not heard of: the reservation waits in the inbox.
		await shop.broker.emit(reserved.type, reserved as AnyDomainEvent);
		const inbox = (shop.broker.getLocalService("payments") as unknown as { collections: { inbox: { findOne(q: object): Promise<{ status: string } | null> } } }).collections.inbox;
		await waitFor(() => inbox.findOne({ _id: reserved.id }), (doc) => doc?.status === "RETRY");
		await shop.broker.emit(created.type, created as AnyDomainEvent);

		const settled = await waitFor(
			async () => seen.filter((event) => event.type === "payment.settled" && "orderId" in event && event.orderId === orderId),
			(events) => events.length > 0,
			5000,
		);
		expect(settled).toHaveLength(1);
	});
});
