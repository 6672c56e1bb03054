import type { PassThrough } from "node:stream";
import type { OrderProgress, StatusChange } from "../../contracts";
import { waitFor } from "../../test/helpers/wait";
import { OrderStreams, firstFinal, sseEvent } from "./order-streams";

const at = "2030-06-01T10:00:00.000Z";
const PENDING: StatusChange = { status: "PENDING", at, reason: "ORDER_PLACED" };
const AWAITING: StatusChange = { status: "AWAITING_PAYMENT", at, reason: "STOCK_RESERVED" };
const CONFIRMED: StatusChange = { status: "CONFIRMED", at, reason: "PAYMENT_SETTLED" };
const REFUNDED: StatusChange = { status: "CANCELLED", at, reason: "PAYMENT_REFUNDED" };

/** Everything written to a stream so far, and whether it has ended. */
function reader(out: PassThrough) {
	let text = "";
	return {
		text: () => {
			for (let chunk: Buffer | null; (chunk = out.read() as Buffer | null) !== null;) text += chunk.toString();
			return text;
		},
		ended: () => out.writableEnded,
	};
}

/** The ids and statuses of the SSE events in a stream's text. */
function events(text: string): string[] {
	return [...text.matchAll(/^id: (\d+)\nevent: status\ndata: (.*)$/gm)].map((m) => `${m[1]} ${(JSON.parse(m[2]!) as StatusChange).status}`);
}

describe("OrderStreams", () => {
	let histories: Map<string, StatusChange[]>;
	let asked: string[][];
	let streams: OrderStreams;
	const make = (maxPerCustomer = 3, heartbeatMs = 60_000) =>
		new OrderStreams({
			maxPerCustomer,
			heartbeatMs,
			progress: async (ids) => {
				asked.push(ids);
				return ids.flatMap((id): OrderProgress[] => (histories.has(id) ? [{ id, customerId: "c1", history: histories.get(id)! }] : []));
			},
			log: { warn: () => undefined },
		});

	beforeEach(() => {
		histories = new Map();
		asked = [];
		streams = make();
	});
	afterEach(() => streams.closeAll());

	it("sends the history so far at once, then each change as it is noticed, and ends after the final status", () => {
		const out = streams.open({ orderId: "o1", customerId: "c1", history: [PENDING] })!;
		const read = reader(out);
		streams.notice({ orderId: "o1", customerId: "c1", seq: 1, change: AWAITING });
		expect(read.ended()).toBe(false);
		streams.notice({ orderId: "o1", customerId: "c1", seq: 2, change: CONFIRMED });
		expect(events(read.text())).toEqual(["0 PENDING", "1 AWAITING_PAYMENT", "2 CONFIRMED"]);
		expect(read.text().startsWith("retry: 3000\n\n")).toBe(true);
		expect(read.ended()).toBe(true);
	});

	it("after Last-Event-ID sends only what followed it", () => {
		const read = reader(streams.open({ orderId: "o1", customerId: "c1", history: [PENDING, AWAITING], lastEventId: 0 })!);
		expect(events(read.text())).toEqual(["1 AWAITING_PAYMENT"]);
	});

	it.each([
		["the final status", 2],
		["a change after the final status", 3],
	])("has nothing to send to a client that has seen %s", (_what, lastEventId) => {
		expect(streams.open({ orderId: "o1", customerId: "c1", history: [PENDING, AWAITING, CONFIRMED, REFUNDED], lastEventId })).toBeNull();
	});

	it("sends an order that is already final and ends at once, stopping at its first final status", () => {
		const out = streams.open({ orderId: "o1", customerId: "c1", history: [PENDING, AWAITING, CONFIRMED, REFUNDED] })!;
		const read = reader(out);
		expect(events(read.text())).toEqual(["0 PENDING", "1 AWAITING_PAYMENT", "2 CONFIRMED"]);
		expect(read.ended()).toBe(true);
		expect(streams.openFor("c1")).toBe(0);
	});

	it("ignores a notice it has already sent, or one for another order", () => {
		const read = reader(streams.open({ orderId: "o1", customerId: "c1", history: [PENDING, AWAITING] })!);
		streams.notice({ orderId: "o1", customerId: "c1", seq: 1, change: AWAITING });
		streams.notice({ orderId: "o2", customerId: "c1", seq: 2, change: CONFIRMED });
		expect(events(read.text())).toEqual(["0 PENDING", "1 AWAITING_PAYMENT"]);
		expect(asked).toEqual([]);
	});

	it("reads the history when a notice comes after a gap, and sends what was missed in order", async () => {
		const read = reader(streams.open({ orderId: "o1", customerId: "c1", history: [PENDING] })!);
		histories.set("o1", [PENDING, AWAITING, CONFIRMED]);
		// The notice of seq 1 was lost; seq 2 arrives.
		streams.notice({ orderId: "o1", customerId: "c1", seq: 2, change: CONFIRMED });
		await waitFor(async () => read.ended(), Boolean, 2000, 10);
		expect(events(read.text())).toEqual(["0 PENDING", "1 AWAITING_PAYMENT", "2 CONFIRMED"]);
		expect(asked).toEqual([["o1"]]);
	});

	it("on each heartbeat writes a comment and catches up every open order in one call", async () => {
		streams.closeAll();
		streams = make(3, 50);
		const one = reader(streams.open({ orderId: "o1", customerId: "c1", history: [PENDING] })!);
		const two = reader(streams.open({ orderId: "o2", customerId: "c1", history: [PENDING] })!);
		// Both orders moved on and every notice was lost.
		histories.set("o1", [PENDING, AWAITING, CONFIRMED]);
		histories.set("o2", [PENDING, AWAITING]);
		await waitFor(async () => one.ended() && events(two.text()).length === 2, Boolean, 2000, 10);
		expect(one.text()).toContain(": heartbeat\n\n");
		expect(events(one.text())).toEqual(["0 PENDING", "1 AWAITING_PAYMENT", "2 CONFIRMED"]);
		expect(events(two.text())).toEqual(["0 PENDING", "1 AWAITING_PAYMENT"]);
		expect(asked[0]).toEqual(["o1", "o2"]);
	});

	it("counts a customer's open streams and frees one when its client goes away", () => {
		streams.closeAll();
		streams = make(2);
		const first = streams.open({ orderId: "o1", customerId: "c1", history: [PENDING] })!;
		streams.open({ orderId: "o2", customerId: "c1", history: [PENDING] });
		expect(streams.mayOpen("c1")).toBe(false);
		expect(streams.mayOpen("c2")).toBe(true);
		// moleculer-web's pipeline destroys the stream when the client disconnects.
		first.destroy();
		return waitFor(async () => streams.mayOpen("c1"), Boolean, 1000, 5).then((may) => expect(may).toBe(true));
	});
});

describe("the stream's wire format", () => {
	it("names each event by its index in the order's history and carries the change as JSON", () => {
		expect(sseEvent("o1", 2, CONFIRMED)).toBe(
			`id: 2\nevent: status\ndata: {"orderId":"o1","status":"CONFIRMED","at":"${at}","reason":"PAYMENT_SETTLED"}\n\n`,
		);
	});

	it("finds the first final status", () => {
		expect(firstFinal([PENDING, AWAITING])).toBe(-1);
		expect(firstFinal([PENDING, AWAITING, CONFIRMED, REFUNDED])).toBe(2);
	});
});
