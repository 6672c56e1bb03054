import type { ServiceSchema } from "moleculer";
import type { AnyDomainEvent } from "../../contracts";
import { loadConfig } from "../../lib/env";
import { EventsMixin, alreadyHandled, type EventsService, type InboxDoc, type WithHandledEvents } from "../../mixins/events";
import { domainEvent } from "../../mixins/events/envelope";
import type { StoredDoc } from "../../mixins/store.mixin";
import { startShop, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * An event whose handler records it in the document it changes (the write path's `cause`) needs
 * no inbox document of its own: a duplicate delivery is found by the read the handler makes and
 * by the write's condition, and changes the document once. It gets an inbox document only when it
 * must wait for a retry. Driven through handleFromLog, where the Kafka consumer hands every
 * message it reads (a redelivery after a rebalance is the same call again).
 */

interface TallyDoc extends StoredDoc, WithHandledEvents {
	registrations: number;
}

type Tallies = EventsService & {
	handleFromLog(event: AnyDomainEvent): Promise<void>;
	collections: {
		tallies: { findOne(query: object): Promise<TallyDoc | null>; insert(doc: TallyDoc): Promise<TallyDoc> };
		inbox: { findOne(query: object): Promise<InboxDoc | null> };
	};
};

/** The handler fails for tallies whose id starts with this, until `failing` is cleared. */
let failing = true;

const talliesSchema = (): ServiceSchema => ({
	name: "tallies",
	// Read when the shop makes the service: its DATA_DIR is the test's own.
	mixins: [EventsMixin<{ tallies: TallyDoc }>(loadConfig(), { collections: { tallies: {} }, outboxes: ["tallies"] })],
	publishes: ["customer.registered"],
	handledInAggregate: ["customer.registered"],
	domainEvents: {
		async "customer.registered"(event) {
			const self = this as unknown as Tallies;
			if (failing && event.customerId.startsWith("flaky")) throw new Error("the store is busy");
			const doc = await self.collections.tallies.findOne({ _id: event.customerId });
			if (!doc || alreadyHandled(doc, event)) return;
			await self.updateWithEvents("tallies", { _id: doc._id }, { $inc: { registrations: 1 } }, [], new Date(), event);
		},
	},
});

/** The event as a consumer reads it: its envelope made as the outbox makes it. */
const registered = (id: string): AnyDomainEvent =>
	domainEvent(
		"customer.registered",
		{ customerId: id, email: `${id}@example.com`, name: id },
		{ aggregateId: id, correlationId: id },
		`event-${id}`,
		new Date(),
	);

describe("an event handled in the aggregate it changes", () => {
	let shop: TestShop;
	const tallies = () => shop.broker.getLocalService("tallies") as unknown as Tallies;

	beforeAll(async () => (shop = await startShop({ services: [], extra: [talliesSchema], env: { OUTBOX_RELAY_MS: "100", EVENT_RETRY_BASE_MS: "50" } })));
	afterAll(() => shop.destroy());

	it("is applied once however often it is delivered, at once or one after another, and writes no inbox document", async () => {
		await tallies().collections.tallies.insert({ _id: "t-1", registrations: 0 });
		const event = registered("t-1");
		await Promise.all([tallies().handleFromLog(event), tallies().handleFromLog(event)]);
		await tallies().handleFromLog(event);
		const doc = await tallies().collections.tallies.findOne({ _id: "t-1" });
		expect(doc).toMatchObject({ registrations: 1, handledEvents: { [event.id]: 1 } });
		expect(await tallies().collections.inbox.findOne({ _id: event.id })).toBeNull();
	});

	it("keeps an event whose handler failed in the inbox, retries it from there, and applies it once", async () => {
		await tallies().collections.tallies.insert({ _id: "flaky-1", registrations: 0 });
		const event = registered("flaky-1");
		await tallies().handleFromLog(event);
		expect(await tallies().collections.inbox.findOne({ _id: event.id })).toMatchObject({ status: "RETRY", lastError: "the store is busy" });
		failing = false;
		// Delivered again meanwhile (a rebalance): handled at once, and the retry from the inbox then
		// finds it done, which the tally records, so its inbox document goes.
		await tallies().handleFromLog(event);
		const inbox = await waitFor(
			() => tallies().collections.inbox.findOne({ _id: event.id }),
			(doc) => doc === null,
			10_000,
		);
		expect(inbox).toBeNull();
		expect(await tallies().collections.tallies.findOne({ _id: "flaky-1" })).toMatchObject({ registrations: 1 });
	});
});
