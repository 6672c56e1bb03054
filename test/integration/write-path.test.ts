import { ServiceBroker, type Context, type ServiceSchema } from "moleculer";
import type { AnyDomainEvent, CustomerRegistered } from "../../contracts";
import { loadConfig } from "../../lib/env";
import { EventsMixin, newEvent, type EventsService } from "../../mixins/events";
import type { StoredDoc } from "../../mixins/store.mixin";
import { startShop, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * The events mixin's write path: a change and the events it causes are written together, the
 * relay is woken to deliver them (here it never polls), and a write that changed nothing stores
 * and delivers nothing. Observed from outside by a spy service on the bus.
 */

interface AccountDoc extends StoredDoc {
	email: string;
	status: "OPEN" | "CLOSED";
	history: string[];
}

type Accounts = EventsService & { collections: { accounts: { findOne(query: object): Promise<(AccountDoc & { outbox?: unknown[] }) | null> } } };

const registered = (id: string) => newEvent("customer.registered", { customerId: id, email: `${id}@example.com`, name: id }, id);

const accountsSchema = (): ServiceSchema => ({
	name: "accounts",
	mixins: [EventsMixin<{ accounts: AccountDoc }>(loadConfig(), { collections: { accounts: {} }, outboxes: ["accounts"] })],
	publishes: ["customer.registered"],
});

describe("the store's write path with events", () => {
	let shop: TestShop;
	const received: AnyDomainEvent[] = [];
	const spy: ServiceSchema = {
		name: "spy",
		events: {
			"customer.registered": {
				group: "spy",
				handler(ctx: Context<AnyDomainEvent>) {
					received.push(ctx.params);
				},
			},
		},
	};
	const accounts = () => shop.broker.getLocalService("accounts") as unknown as Accounts;
	const eventsOf = (id: string) => received.filter((event) => event.aggregateId === id);

	// The relay polls once a minute: only a wake-up delivers within the tests' waits.
	beforeAll(async () => (shop = await startShop({ services: [], extra: [accountsSchema, spy], env: { OUTBOX_RELAY_MS: "60000" } })));
	afterAll(() => shop.destroy());

	it("inserts a document with its events and delivers them at once, correlated to the aggregate", async () => {
		const doc: AccountDoc = { _id: "acc-1", email: "acc-1@example.com", status: "OPEN", history: [] };
		await accounts().insertWithEvents("accounts", doc, [registered("acc-1")]);
		const [event] = await waitFor(
			async () => eventsOf("acc-1"),
			(events) => events.length > 0,
			5000,
		);
		expect(event).toMatchObject({ type: "customer.registered", aggregateId: "acc-1", correlationId: "acc-1", customerId: "acc-1" });
		// Delivered, then pulled from the outbox.
		expect(
			await waitFor(
				() => accounts().collections.accounts.findOne({ _id: "acc-1" }),
				(stored) => stored?.outbox?.length === 0,
				5000,
			),
		).toMatchObject({ email: "acc-1@example.com", outbox: [] });
	});

	it("stores and delivers nothing when the update's condition no longer holds", async () => {
		await accounts().insertWithEvents("accounts", { _id: "acc-2", email: "acc-2@example.com", status: "OPEN", history: [] }, []);
		const changed = await accounts().updateWithEvents("accounts", { _id: "acc-2", status: "CLOSED" }, { $set: { status: "OPEN" } }, [registered("acc-2")]);
		expect(changed).toBe(0);
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(eventsOf("acc-2")).toEqual([]);
		expect((await accounts().collections.accounts.findOne({ _id: "acc-2" }))?.outbox ?? []).toEqual([]);
	});

	it("writes the change, its own pushes and its events in one update, and delivers the events at once", async () => {
		await accounts().insertWithEvents("accounts", { _id: "acc-3", email: "acc-3@example.com", status: "OPEN", history: ["opened"] }, []);
		const second = newEvent("customer.registered", { customerId: "acc-3", email: "again@example.com", name: "again" }, "acc-3", "request-9");
		const changed = await accounts().updateWithEvents(
			"accounts",
			{ _id: "acc-3", status: "OPEN" },
			{ $set: { status: "CLOSED" }, $push: { history: "closed" } },
			[registered("acc-3"), second],
		);
		expect(changed).toBe(1);
		const events = await waitFor(
			async () => eventsOf("acc-3"),
			(found) => found.length === 2,
			5000,
		);
		expect(events.map((event) => [event.correlationId, (event as CustomerRegistered).email])).toEqual([
			["acc-3", "acc-3@example.com"],
			["request-9", "again@example.com"],
		]);
		expect(await accounts().collections.accounts.findOne({ _id: "acc-3" })).toMatchObject({ status: "CLOSED", history: ["opened", "closed"] });
	});

	it("refuses an event the schema does not declare in publishes, and writes nothing", async () => {
		const undeclared = newEvent("order.confirmed", { orderId: "o-1", customerId: "acc-4", totalCents: 1, currency: "EUR" }, "o-1");
		await expect(
			accounts().insertWithEvents("accounts", { _id: "acc-4", email: "acc-4@example.com", status: "OPEN", history: [] }, [undeclared]),
		).rejects.toThrow(/does not declare/);
		expect(await accounts().collections.accounts.findOne({ _id: "acc-4" })).toBeNull();
	});

	it("refuses a collection that is not one of the service's outboxes", async () => {
		await expect(accounts().updateWithEvents("inbox", { _id: "x" }, { $set: {} }, [registered("x")])).rejects.toThrow(
			/not one of the collections it publishes from/,
		);
	});

	it("sends what a write stored once the poll's scan finds it, after a crash between the write and the send", async () => {
		const service = accounts() as Accounts & { wakeRelay: unknown };
		const wake = service.wakeRelay;
		// The process dies after the write, before its relay is handed the events: nothing wakes it.
		service.wakeRelay = () => undefined;
		try {
			await service.insertWithEvents("accounts", { _id: "crash-1", email: "crash-1@example.com", status: "OPEN", history: [] }, [registered("crash-1")]);
		} finally {
			service.wakeRelay = wake;
		}
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(eventsOf("crash-1")).toEqual([]);
		expect((await service.collections.accounts.findOne({ _id: "crash-1" }))?.outbox).toHaveLength(1);

		// What the relay's poll does every OUTBOX_SCAN_EVERY ticks (and at start).
		await service.relayOutbox(true);
		expect(eventsOf("crash-1").map((event) => event.type)).toEqual(["customer.registered"]);
		expect((await service.collections.accounts.findOne({ _id: "crash-1" }))?.outbox).toEqual([]);
	});

	it("refuses at creation a service that publishes from outboxes but declares no events", () => {
		const broker = new ServiceBroker({ logger: false });
		expect(() => broker.createService({ ...accountsSchema(), name: "undeclared", publishes: undefined })).toThrow(/declares no events in publishes/);
	});
});
