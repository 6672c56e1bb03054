import type { Order } from "../../contracts";
import { waitFor } from "../helpers/wait";
import { processorLedger, type LedgerEntry, type Processor } from "../helpers/processor";
import { storedProduct, storedReservations } from "./servers";
import type { Shopper } from "./shopper";

/** Where the money and the stock are read: the card processor's API and the MongoDB-wire server. */
export interface Books {
	mongoUri: string;
	processor: Processor;
}

/**
 * Stock and money against the final orders of one product, whatever the cluster went through:
 * the product's stock is what it started with less what the confirmed orders bought, and the
 * processor's books (money actually moved, read from the card processor over its API) hold for
 * every confirmed order one charge of its total and no refund, and for every cancelled one no
 * charge, or one refunded in full. Compensations still under way (a release, a refund) are
 * waited for first.
 */
export async function expectConserved(
	{ mongoUri, processor }: Books,
	shop: Shopper,
	product: { id: string; stock: number },
	orders: Order[],
): Promise<{ sold: number; charges: number; refunds: number }> {
	const sold = orders
		.filter((order) => order.status === "CONFIRMED")
		.flatMap((order) => order.items)
		.filter((line) => line.productId === product.id)
		.reduce((sum, line) => sum + line.qty, 0);
	const stock = await waitFor(
		() => shop.storedStock(product.id),
		(value) => value === product.stock - sold,
		60_000,
		250,
	);
	if (stock !== product.stock - sold) {
		// Where the difference went: holds no order settled, with each holder's status.
		const stored = await storedProduct(mongoUri, product.id);
		const holds = stored?.holds ?? {};
		const statusOf = new Map(orders.map((order) => [order.id, `${order.status}${order.cancelReason ? ` ${order.cancelReason}` : ""}`]));
		const held = Object.entries(holds).map(([orderId, qty]) => `${orderId} ${qty} (${statusOf.get(orderId) ?? "not one of these orders"})`);
		// And reservations whose end does not match their order's (a sale not confirmed, a confirmed order not sold).
		const odd = (await storedReservations(mongoUri, product.id))
			.filter((doc) => !statusOf.has(doc._id) || (doc.status === "COMMITTED") !== statusOf.get(doc._id)!.startsWith("CONFIRMED") || !doc.settled)
			.map(
				(doc) =>
					`${doc._id} ${doc.status}${doc.settled ? "" : " unsettled"} (${statusOf.get(doc._id) ?? "not one of these orders"}): ${(doc.history ?? []).map((h) => `${h.at.slice(11)} ${h.status} ${h.reason}`).join(", ")}`,
			);
		expect({ stock, stored: stored?.stock, held, odd }).toEqual({ stock: product.stock - sold, stored: product.stock - sold, held: [], odd: [] });
	}

	const ids = new Set(orders.map((order) => order.id));
	const moved = (records: LedgerEntry[], kind: LedgerEntry["kind"], orderId: string) =>
		records.filter((record) => record.kind === kind && record.orderId === orderId).map((record) => record.amountCents);
	const refundsDone = (records: LedgerEntry[]) =>
		orders.every((order) => order.status !== "CANCELLED" || moved(records, "refund", order.id).length >= moved(records, "charge", order.id).length);
	const books = (await waitFor(() => processorLedger(processor, ids), refundsDone, 60_000, 500)).filter((record) => ids.has(record.orderId));
	for (const order of orders) {
		const charges = moved(books, "charge", order.id);
		const refunds = moved(books, "refund", order.id);
		if (order.status === "CONFIRMED") expect({ order: order.id, charges, refunds }).toEqual({ order: order.id, charges: [order.totalCents], refunds: [] });
		else expect({ order: order.id, chargedOnce: charges.length <= 1, refunds }).toEqual({ order: order.id, chargedOnce: true, refunds: charges });
	}
	return { sold, charges: books.filter((record) => record.kind === "charge").length, refunds: books.filter((record) => record.kind === "refund").length };
}

/** "58 CONFIRMED, 2 CANCELLED (2 TIMEOUT)": how a set of orders ended. */
export function outcome(orders: Order[]): string {
	const count = (pick: (order: Order) => boolean) => orders.filter(pick).length;
	const reasons = [...new Set(orders.map((order) => order.cancelReason).filter(Boolean))];
	const cancelled = count((order) => order.status === "CANCELLED");
	return (
		`${count((order) => order.status === "CONFIRMED")} confirmed, ${cancelled} cancelled` +
		(cancelled ? ` (${reasons.map((reason) => `${count((order) => order.cancelReason === reason)} ${reason}`).join(", ")})` : "")
	);
}
