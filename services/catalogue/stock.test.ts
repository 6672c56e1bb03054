import type { ReservationStatus } from "../../contracts";
import {
	FINAL_STATUSES,
	OPEN_STATUSES,
	cancelledBeforeReserved,
	clearHold,
	decideReservation,
	holdPath,
	isExpired,
	newReservation,
	restock,
	restockReturned,
	returnHold,
	settlementFor,
	stockEventFor,
	takeHold,
	toReservation,
	type ReservationCommand,
	type ReservationDecision,
	type ReservationDoc,
} from "./stock";

const NOW = new Date("2030-06-01T10:00:00.000Z");

function reservation(overrides: Partial<ReservationDoc> = {}): ReservationDoc {
	return {
		_id: "order-1",
		status: "PENDING",
		items: [{ productId: "p1", qty: 2 }],
		expiresAtMs: NOW.getTime() + 60_000,
		settled: false,
		createdAt: NOW.toISOString(),
		updatedAt: NOW.toISOString(),
		...overrides,
	};
}

describe("holdPath", () => {
	it("builds the holds.<orderId> field path", () => {
		expect(holdPath("order_1-A")).toBe("holds.order_1-A");
	});

	it.each(["a.b", "$where", "order$1", "", "with space", "a/b", "x".repeat(65)])("refuses the orderId %p", (orderId) => {
		expect(() => holdPath(orderId)).toThrow(RangeError);
	});

	it("accepts an orderId of 64 characters", () => {
		expect(holdPath("x".repeat(64))).toBe(`holds.${"x".repeat(64)}`);
	});
});

describe("takeHold", () => {
	it("moves the quantity from stock into the hold only if enough stock is there and no hold exists", () => {
		expect(takeHold({ productId: "p1", qty: 3 }, "order-1", NOW)).toEqual({
			query: { _id: "p1", active: true, stock: { $gte: 3 }, "holds.order-1": { $exists: false } },
			update: { $inc: { stock: -3 }, $set: { "holds.order-1": 3, updatedAt: NOW.toISOString() } },
		});
	});

	it("refuses an orderId that could escape the holds field", () => {
		expect(() => takeHold({ productId: "p1", qty: 1 }, "x.stock", NOW)).toThrow(RangeError);
	});
});

describe("returnHold", () => {
	it("puts the held quantity back into stock only if that hold is still there", () => {
		expect(returnHold({ productId: "p2", qty: 4 }, "order-2", NOW)).toEqual({
			query: { _id: "p2", "holds.order-2": 4 },
			update: { $inc: { stock: 4 }, $unset: { "holds.order-2": true }, $set: { updatedAt: NOW.toISOString() } },
		});
	});

	it("refuses an orderId with a dollar sign", () => {
		expect(() => returnHold({ productId: "p1", qty: 1 }, "$inc", NOW)).toThrow(RangeError);
	});
});

describe("clearHold", () => {
	it("removes the hold without touching stock", () => {
		expect(clearHold({ productId: "p3", qty: 5 }, "order-3")).toEqual({
			query: { _id: "p3", "holds.order-3": 5 },
			update: { $unset: { "holds.order-3": true } },
		});
	});

	it("refuses an orderId with a dot", () => {
		expect(() => clearHold({ productId: "p1", qty: 1 }, "a.b")).toThrow(RangeError);
	});
});

describe("restock", () => {
	it("puts sold stock back once per order, marking the return on the product", () => {
		expect(restock({ productId: "p4", qty: 6 }, "order-4", NOW)).toEqual({
			query: { _id: "p4", "returns.order-4": { $exists: false } },
			update: { $inc: { stock: 6 }, $set: { "returns.order-4": 6, updatedAt: NOW.toISOString() } },
		});
	});

	it("does not require the product to be active or to hold anything", () => {
		const { query } = restock({ productId: "p4", qty: 1 }, "order-4", NOW);
		expect(query).not.toHaveProperty("active");
		expect(query).not.toHaveProperty("holds.order-4");
	});

	it.each(["a.b", "$set", "", "x".repeat(65)])("refuses the orderId %p", (orderId) => {
		expect(() => restock({ productId: "p1", qty: 1 }, orderId, NOW)).toThrow(RangeError);
	});
});

describe("restockReturned", () => {
	it("puts a return's units back once per return, apart from the order's other returns and its cancel", () => {
		expect(restockReturned({ productId: "p4", qty: 2 }, "order-4", "r2", NOW)).toEqual({
			query: { _id: "p4", "returned.order-4_r2": { $exists: false } },
			update: { $inc: { stock: 2 }, $set: { "returned.order-4_r2": 2, updatedAt: NOW.toISOString() } },
		});
	});

	it.each(["r1.x", "$r1", "", "r12345", "x1"])("refuses the returnId %p", (returnId) => {
		expect(() => restockReturned({ productId: "p1", qty: 1 }, "order-4", returnId, NOW)).toThrow(RangeError);
	});
});

describe("newReservation", () => {
	it("starts PENDING and unsettled, expiring ttl milliseconds from now, its holds leased to its maker, with merged items", () => {
		expect(
			newReservation(
				"order-9",
				[
					{ productId: "p2", qty: 1 },
					{ productId: "p1", qty: 2 },
					{ productId: "p2", qty: 3 },
				],
				NOW,
				15 * 60 * 1000,
				15_000,
			),
		).toEqual({
			_id: "order-9",
			status: "PENDING",
			items: [
				{ productId: "p1", qty: 2 },
				{ productId: "p2", qty: 4 },
			],
			expiresAtMs: NOW.getTime() + 15 * 60 * 1000,
			leaseUntilMs: NOW.getTime() + 15_000,
			settled: false,
			history: [{ status: "PENDING", at: "2030-06-01T10:00:00.000Z", reason: "ORDER_CREATED" }],
			createdAt: "2030-06-01T10:00:00.000Z",
			updatedAt: "2030-06-01T10:00:00.000Z",
		});
	});
});

describe("isExpired", () => {
	it("is false for an open reservation before its expiry", () => {
		expect(isExpired(reservation({ expiresAtMs: NOW.getTime() + 1 }), NOW)).toBe(false);
	});

	it("is true for an open reservation at its expiry instant", () => {
		expect(isExpired(reservation({ expiresAtMs: NOW.getTime() }), NOW)).toBe(true);
	});

	it.each(OPEN_STATUSES)("is true for a %s reservation past its expiry", (status) => {
		expect(isExpired(reservation({ status, expiresAtMs: NOW.getTime() - 1 }), NOW)).toBe(true);
	});

	it.each(FINAL_STATUSES)("is false for a %s reservation even past its expiry", (status) => {
		expect(isExpired(reservation({ status, expiresAtMs: NOW.getTime() - 60_000 }), NOW)).toBe(false);
	});
});

describe("settlementFor", () => {
	it.each<[ReservationStatus, "return" | "clear" | "restock" | "none"]>([
		["PENDING", "none"],
		["RESERVED", "none"],
		["REJECTED", "return"],
		["RELEASED", "return"],
		["EXPIRED", "return"],
		["COMMITTED", "clear"],
		["RETURNED", "restock"],
	])("settles a %s reservation with %p", (status, expected) => {
		expect(settlementFor(status)).toBe(expected);
	});

	it("settles every final status and no open one", () => {
		for (const status of FINAL_STATUSES) expect(settlementFor(status)).not.toBe("none");
		for (const status of OPEN_STATUSES) expect(settlementFor(status)).toBe("none");
	});
});

describe("stockEventFor", () => {
	const doc = {
		_id: "order-7",
		items: [
			{ productId: "p1", qty: 2 },
			{ productId: "p2", qty: 1 },
		],
	};

	it.each([
		["stock.reserved", "RESERVED"],
		["stock.committed", "COMMITTED"],
		["stock.returned", "RETURNED"],
	] as const)("publishes %s with the items for %s", (type, status) => {
		expect(stockEventFor(doc, status)).toEqual({ type, body: { orderId: "order-7", items: doc.items } });
	});

	it("publishes stock.rejected with the rejection's reason and product for REJECTED", () => {
		expect(stockEventFor({ ...doc, rejection: { reason: "PRODUCT_UNAVAILABLE", productId: "p2" } }, "REJECTED")).toEqual({
			type: "stock.rejected",
			body: { orderId: "order-7", reason: "PRODUCT_UNAVAILABLE", productId: "p2" },
		});
	});

	it("falls back to OUT_OF_STOCK and no product for a REJECTED reservation without a rejection", () => {
		expect(stockEventFor(doc, "REJECTED")).toEqual({
			type: "stock.rejected",
			body: { orderId: "order-7", reason: "OUT_OF_STOCK", productId: "" },
		});
	});

	it.each(["RELEASED", "EXPIRED"] as const)("publishes stock.released with reason %s", (status) => {
		expect(stockEventFor(doc, status)).toEqual({
			type: "stock.released",
			body: { orderId: "order-7", items: doc.items, reason: status },
		});
	});

	it("publishes nothing for PENDING", () => {
		expect(stockEventFor(doc, "PENDING")).toBeNull();
	});

	it("publishes an event for every status except PENDING", () => {
		for (const status of [...OPEN_STATUSES, ...FINAL_STATUSES]) {
			if (status === "PENDING") continue;
			expect(stockEventFor(doc, status)).not.toBeNull();
		}
	});
});

describe("cancelledBeforeReserved", () => {
	it("records a settled RELEASED reservation with no items that has already expired", () => {
		expect(cancelledBeforeReserved("order-8", NOW)).toEqual({
			_id: "order-8",
			status: "RELEASED",
			items: [],
			expiresAtMs: NOW.getTime(),
			settled: true,
			history: [{ status: "RELEASED", at: "2030-06-01T10:00:00.000Z", reason: "ORDER_CANCELLED_FIRST" }],
			createdAt: "2030-06-01T10:00:00.000Z",
			updatedAt: "2030-06-01T10:00:00.000Z",
		});
	});

	it("is final, so it never expires and settling it takes nothing back", () => {
		const doc = cancelledBeforeReserved("order-8", NOW);
		expect(FINAL_STATUSES).toContain(doc.status);
		expect(isExpired(doc, new Date(NOW.getTime() + 60_000))).toBe(false);
	});
});

describe("toReservation", () => {
	it("names the order, turns the expiry into an ISO time and leaves out settled", () => {
		const history = [
			{ status: "PENDING" as const, at: NOW.toISOString(), reason: "ORDER_CREATED" },
			{ status: "RESERVED" as const, at: NOW.toISOString(), reason: "STOCK_HELD" },
		];
		const doc = reservation({ status: "RESERVED", settled: true, expiresAtMs: Date.parse("2030-06-01T10:15:00.000Z"), history });
		const result = toReservation(doc);
		expect(result).toEqual({
			orderId: "order-1",
			status: "RESERVED",
			items: [{ productId: "p1", qty: 2 }],
			expiresAt: "2030-06-01T10:15:00.000Z",
			history,
			createdAt: NOW.toISOString(),
			updatedAt: NOW.toISOString(),
		});
		expect(result).not.toHaveProperty("rejection");
		expect(result).not.toHaveProperty("settled");
		expect(result).not.toHaveProperty("_id");
	});

	it("gives a reservation stored before histories were kept the history its times can tell", () => {
		const later = "2030-06-01T10:05:00.000Z";
		expect(toReservation(reservation({ status: "COMMITTED", updatedAt: later })).history).toEqual([
			{ status: "PENDING", at: NOW.toISOString(), reason: "ORDER_CREATED" },
			{ status: "COMMITTED", at: later, reason: "UNRECORDED" },
		]);
		expect(toReservation(reservation()).history).toEqual([{ status: "PENDING", at: NOW.toISOString(), reason: "ORDER_CREATED" }]);
	});

	it("includes the rejection of a rejected reservation", () => {
		const rejection = { reason: "OUT_OF_STOCK" as const, productId: "p1" };
		const result = toReservation(reservation({ status: "REJECTED", rejection }));
		expect(result.status).toBe("REJECTED");
		expect(result.rejection).toEqual({ reason: "OUT_OF_STOCK", productId: "p1" });
	});
});

describe("decideReservation", () => {
	const SHORT: ReservationCommand = { type: "SHORT", reason: "OUT_OF_STOCK", productId: "p1" };
	const expired = { expiresAtMs: NOW.getTime() - 1 };
	/** "STATUS [events]" for a move, "refuse" or "stay". */
	const outcome = (decision: ReservationDecision) =>
		decision.kind === "move" ? `${decision.to} [${decision.events.map((event) => event.type).join(" ")}]` : decision.kind;

	it.each<[ReservationStatus, Partial<ReservationDoc>, ReservationCommand["type"], string]>([
		["PENDING", {}, "HELD", "RESERVED [stock.reserved]"],
		["PENDING", {}, "SHORT", "REJECTED [stock.rejected]"],
		["PENDING", {}, "RELEASE", "stay"],
		["PENDING", {}, "COMMIT", "stay"],
		["PENDING", {}, "RETURN", "stay"],
		["PENDING", {}, "EXPIRE", "stay"],
		["PENDING", expired, "EXPIRE", "EXPIRED [stock.released]"],

		["RESERVED", {}, "HELD", "stay"],
		["RESERVED", {}, "SHORT", "stay"],
		["RESERVED", {}, "RELEASE", "RELEASED [stock.released]"],
		["RESERVED", {}, "COMMIT", "COMMITTED [stock.committed]"],
		["RESERVED", expired, "COMMIT", "EXPIRED [stock.released]"],
		["RESERVED", {}, "RETURN", "stay"],
		["RESERVED", {}, "EXPIRE", "stay"],
		["RESERVED", expired, "EXPIRE", "EXPIRED [stock.released]"],

		["COMMITTED", {}, "HELD", "stay"],
		["COMMITTED", {}, "RELEASE", "refuse"],
		["COMMITTED", {}, "COMMIT", "stay"],
		["COMMITTED", {}, "RETURN", "RETURNED [stock.returned]"],
		["COMMITTED", expired, "EXPIRE", "stay"],

		["RETURNED", {}, "RELEASE", "refuse"],
		["RETURNED", {}, "COMMIT", "stay"],
		["RETURNED", {}, "RETURN", "stay"],

		["REJECTED", {}, "HELD", "stay"],
		["REJECTED", {}, "RELEASE", "stay"],
		["REJECTED", {}, "COMMIT", "stay"],
		["REJECTED", {}, "RETURN", "stay"],

		["RELEASED", {}, "RELEASE", "stay"],
		["RELEASED", {}, "COMMIT", "stay"],
		["RELEASED", expired, "EXPIRE", "stay"],

		["EXPIRED", {}, "RELEASE", "stay"],
		["EXPIRED", {}, "COMMIT", "stay"],
		["EXPIRED", expired, "EXPIRE", "stay"],
	])("in %s (%j) on %s: %s", (status, overrides, command, expected) => {
		const given: ReservationCommand = command === "SHORT" ? SHORT : ({ type: command } as ReservationCommand);
		expect(outcome(decideReservation(reservation({ status, ...overrides }), given, NOW))).toBe(expected);
	});

	it("marks a move unsettled (the holds follow), except a reservation whose holds are all taken", () => {
		expect(decideReservation(reservation(), { type: "HELD" }, NOW)).toMatchObject({
			set: { status: "RESERVED", settled: true, updatedAt: NOW.toISOString() },
		});
		expect(decideReservation(reservation({ status: "RESERVED", settled: true }), { type: "COMMIT" }, NOW)).toMatchObject({
			set: { status: "COMMITTED", settled: false },
		});
	});

	it("rejects with the reason and the product that was short, and says so in its event", () => {
		expect(decideReservation(reservation(), { type: "SHORT", reason: "PRODUCT_UNAVAILABLE", productId: "p9" }, NOW)).toMatchObject({
			set: { status: "REJECTED", rejection: { reason: "PRODUCT_UNAVAILABLE", productId: "p9" } },
			events: [{ type: "stock.rejected", aggregateId: "order-1", body: { orderId: "order-1", reason: "PRODUCT_UNAVAILABLE", productId: "p9" } }],
		});
	});

	it.each<[ReservationStatus, Partial<ReservationDoc>, ReservationCommand, string]>([
		["PENDING", {}, { type: "HELD" }, "STOCK_HELD"],
		["PENDING", {}, SHORT, "OUT_OF_STOCK"],
		["RESERVED", {}, { type: "RELEASE", reason: "PAYMENT_FAILED" }, "PAYMENT_FAILED"],
		["RESERVED", {}, { type: "RELEASE" }, "RELEASE_REQUESTED"],
		["RESERVED", {}, { type: "COMMIT" }, "PAYMENT_SETTLED"],
		["RESERVED", expired, { type: "COMMIT" }, "HOLD_EXPIRED"],
		["COMMITTED", {}, { type: "RETURN" }, "ORDER_CANCELLED"],
		["RESERVED", expired, { type: "EXPIRE" }, "HOLD_EXPIRED"],
	])("records a move from %s (%j) on %j in the history, at its time, because of %s", (status, overrides, command, reason) => {
		const decision = decideReservation(reservation({ status, ...overrides }), command, NOW);
		expect(decision.kind === "move" && decision.entry).toEqual({ status: decision.kind === "move" && decision.to, at: NOW.toISOString(), reason });
	});

	it("tells whether a release or an expiry freed the stock", () => {
		expect(decideReservation(reservation({ status: "RESERVED" }), { type: "RELEASE" }, NOW)).toMatchObject({
			events: [{ body: { reason: "RELEASED", items: [{ productId: "p1", qty: 2 }] } }],
		});
		expect(decideReservation(reservation({ status: "RESERVED", ...expired }), { type: "EXPIRE" }, NOW)).toMatchObject({
			events: [{ body: { reason: "EXPIRED" } }],
		});
	});
});
