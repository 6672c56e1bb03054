import { countsBetween, STORE_KINDS, type IoCounts } from "../../lib/io-counts";

/*
 * What an order costs in requests: the store commands and Kafka messages of every shop process
 * during the checkout, from each node's own counts (GET /io-counts on its health port, see
 * lib/io-counts.ts), read before and after and divided by the orders that became final.
 */

/** Per final order: store commands by service and kind, Kafka messages by topic, Kafka requests by API. */
export interface IoPerOrder {
	store: Record<string, Record<string, number>>;
	storeTotal: number;
	kafka: { produced: Record<string, number>; fetched: Record<string, number>; requests: Record<string, number> };
	produced: number;
	fetched: number;
}

/** Reads the counts of every node that has a health port. */
export async function readCounts(ports: number[]): Promise<IoCounts[]> {
	return Promise.all(
		ports.map(async (port) => {
			const res = await fetch(`http://127.0.0.1:${port}/io-counts`);
			if (!res.ok) throw new Error(`GET /io-counts on port ${port} answered ${res.status}`);
			return (await res.json()) as IoCounts;
		}),
	);
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
	for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

/** Per order, to a hundredth. */
const per = (n: number, orders: number) => Math.round((n / orders) * 100) / 100;
const perOrder = (values: Record<string, number>, orders: number) => Object.fromEntries(Object.entries(values).map(([key, n]) => [key, per(n, orders)]));
const sum = (values: Record<string, number>) => Object.values(values).reduce((total, n) => total + n, 0);

/** The nodes' counts between the two readings, added up over the nodes, per order. */
export function ioPerOrder(before: IoCounts[], after: IoCounts[], orders: number): IoPerOrder {
	const store: Record<string, Record<string, number>> = {};
	const kafka = { produced: {}, fetched: {}, requests: {} } as IoPerOrder["kafka"];
	after.forEach((counts, i) => {
		const window = countsBetween(before[i]!, counts);
		for (const [service, kinds] of Object.entries(window.store)) addInto((store[service] ??= {}), kinds as Record<string, number>);
		addInto(kafka.produced, window.kafka.produced);
		addInto(kafka.fetched, window.kafka.fetched);
		addInto(kafka.requests, window.kafka.requests);
	});
	const n = Math.max(orders, 1);
	return {
		store: Object.fromEntries(Object.entries(store).map(([service, kinds]) => [service, perOrder(kinds, n)])),
		storeTotal: per(
			Object.values(store).reduce((total, kinds) => total + sum(kinds), 0),
			n,
		),
		kafka: { produced: perOrder(kafka.produced, n), fetched: perOrder(kafka.fetched, n), requests: perOrder(kafka.requests, n) },
		produced: per(sum(kafka.produced), n),
		fetched: per(sum(kafka.fetched), n),
	};
}

/** The lines the bench prints under the checkout. */
export function ioTable(io: IoPerOrder): string {
	const services = Object.keys(io.store).sort();
	const kinds = STORE_KINDS.filter((kind) => services.some((service) => io.store[service]![kind]));
	const cell = (n: number | undefined) => (n ? n.toFixed(1) : "-").padStart(7);
	const lines = [
		`checkout store commands per final order: ${io.storeTotal.toFixed(1)}`,
		`  ${"service".padEnd(14)}${kinds.map((kind) => kind.padStart(7)).join("")}${"all".padStart(7)}`,
		...services.map((service) => `  ${service.padEnd(14)}${kinds.map((kind) => cell(io.store[service]![kind])).join("")}${cell(sum(io.store[service]!))}`),
	];
	if (io.produced || io.fetched || Object.keys(io.kafka.requests).length) {
		const list = (values: Record<string, number>) =>
			Object.entries(values)
				.sort(([, a], [, b]) => b - a)
				.map(([key, n]) => `${key} ${n.toFixed(1)}`)
				.join(", ") || "none";
		lines.push(
			`checkout Kafka messages per final order: ${io.produced.toFixed(1)} produced (${list(io.kafka.produced)}), ${io.fetched.toFixed(1)} fetched (${list(io.kafka.fetched)})`,
			`  Kafka requests per final order: ${list(io.kafka.requests)}`,
		);
	}
	return lines.join("\n");
}
