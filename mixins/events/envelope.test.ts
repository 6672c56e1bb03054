import type { EventBody, StockReserved } from "../../contracts";
import { domainEvent, inboxEntry, orderIdOf } from "./envelope";

const NOW = new Date("2030-06-01T10:00:00.000Z");

describe("domainEvent", () => {
	it("adds the envelope from its arguments to the body", () => {
		const body: EventBody<"order.confirmed"> = { orderId: "order-1", customerId: "c1", totalCents: 2599, currency: "EUR" };
		expect(domainEvent("order.confirmed", body, { aggregateId: "order-1", correlationId: "corr-1" }, "event-1", NOW)).toEqual({
			id: "event-1",
			type: "order.confirmed",
			occurredAt: "2030-06-01T10:00:00.000Z",
			aggregateId: "order-1",
			correlationId: "corr-1",
			orderId: "order-1",
			customerId: "c1",
			totalCents: 2599,
			currency: "EUR",
		});
	});

	it("keeps the aggregate and correlation ids apart", () => {
		const event = domainEvent("product.deactivated", { productId: "p1" }, { aggregateId: "aggregate-x", correlationId: "correlation-y" }, "event-2", NOW);
		expect(event.aggregateId).toBe("aggregate-x");
		expect(event.correlationId).toBe("correlation-y");
		expect(event.id).toBe("event-2");
		expect(event.type).toBe("product.deactivated");
		expect(event.productId).toBe("p1");
	});

	it("lets the envelope win over envelope fields smuggled into the body", () => {
		const body = { productId: "p1", id: "forged", type: "order.created", occurredAt: "1970-01-01T00:00:00.000Z", aggregateId: "a", correlationId: "c" };
		const event = domainEvent("product.deactivated", body as EventBody<"product.deactivated">, { aggregateId: "p1", correlationId: "p1" }, "event-3", NOW);
		expect(event).toEqual({
			id: "event-3",
			type: "product.deactivated",
			occurredAt: NOW.toISOString(),
			aggregateId: "p1",
			correlationId: "p1",
			productId: "p1",
		});
	});

	it("does not change the body it is given", () => {
		const body: EventBody<"product.deactivated"> = { productId: "p1" };
		domainEvent("product.deactivated", body, { aggregateId: "p1", correlationId: "p1" }, "event-4", NOW);
		expect(body).toEqual({ productId: "p1" });
	});
});

describe("inboxEntry", () => {
	const event: StockReserved = {
		id: "event-9",
		type: "stock.reserved",
		occurredAt: NOW.toISOString(),
		aggregateId: "order-9",
		correlationId: "order-9",
		orderId: "order-9",
		items: [],
	};

	it("keeps the trace the event came with, so every attempt at it is a span of that trace", () => {
		const trace = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", requestId: "req-9" };
		expect(inboxEntry(event, NOW.getTime(), trace)).toMatchObject({ _id: "event-9", status: "PROCESSING", attempts: 0, trace });
		expect(inboxEntry(event, NOW.getTime())).not.toHaveProperty("trace");
	});

	it("names the order of saga events and no order for others", () => {
		expect(orderIdOf(event)).toBe("order-9");
		expect(orderIdOf({ id: "e", type: "product.deactivated", occurredAt: "", aggregateId: "p1", correlationId: "p1", productId: "p1" })).toBeUndefined();
	});
});
