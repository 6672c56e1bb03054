import type { BrokerOptions, Middleware, ServiceBroker } from "moleculer";
import { CANCEL_REASONS, type CancelReason } from "../contracts";
import type { ShopConfig } from "./env";

/*
 * The shop's own metrics, beside Moleculer's built-in ones (requests, events, transporter,
 * process). Every node registers all of them, so a series exists wherever the work happens to
 * run; Prometheus adds up the nodes. Names follow Prometheus's conventions once Moleculer turns
 * dots into underscores: a unit in the name, counters end in _total.
 */

const SAGA_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export const SHOP_METRICS = {
	ordersCreated: { name: "shop.orders.created.total", type: "counter", labelNames: [], description: "Orders placed" },
	ordersConfirmed: { name: "shop.orders.confirmed.total", type: "counter", labelNames: [], description: "Orders confirmed (paid, stock committed)" },
	ordersCancelled: { name: "shop.orders.cancelled.total", type: "counter", labelNames: ["reason"], description: "Orders cancelled, by reason" },
	sagaDuration: {
		name: "shop.orders.saga.duration.seconds",
		type: "histogram",
		labelNames: ["outcome"],
		buckets: SAGA_SECONDS_BUCKETS,
		// Moleculer's Prometheus output has _sum and _count only alongside quantiles.
		quantiles: true,
		description: "Time from an order's creation to its final status",
	},
	outboxBacklog: {
		name: "shop.outbox.backlog",
		type: "gauge",
		labelNames: ["service"],
		description: "Events waiting in a service's outboxes at its last scan",
	},
	consumerLag: {
		name: "shop.kafka.consumer.lag",
		type: "gauge",
		labelNames: ["group", "topic", "partition"],
		description: "Messages not yet committed by the consumer group, for the partitions this node reads",
	},
	deadLetters: { name: "shop.events.dead.letters.total", type: "counter", labelNames: ["service", "type"], description: "Events a service gave up on" },
	paymentsCaptured: { name: "shop.payments.captured.cents.total", type: "counter", labelNames: ["currency"], description: "Money captured, in cents" },
	paymentsRefunded: { name: "shop.payments.refunded.cents.total", type: "counter", labelNames: ["currency"], description: "Money refunded, in cents" },
	processorCircuitOpen: {
		name: "shop.payments.processor.circuit.open",
		type: "gauge",
		labelNames: [],
		description: "1 while this node's circuit to the card processor is open (or trying one call), 0 while closed",
	},
	processorWebhooks: {
		name: "shop.payments.webhooks.total",
		type: "counter",
		labelNames: ["outcome"],
		description: "The card processor's verified webhooks, by what they did: applied, unchanged (seen before, or older) or unknown (about no payment)",
	},
	paymentsReconciled: {
		name: "shop.payments.reconciled.total",
		type: "counter",
		labelNames: [],
		description: "Payments moved by asking the processor, after its webhooks said nothing for PAYMENTS_RECONCILE_AFTER_MS",
	},
	reservationsExpired: {
		name: "shop.stock.reservations.expired.total",
		type: "counter",
		labelNames: [],
		description: "Stock holds released because their order never paid",
	},
} as const;

/** The Prometheus name of a shop metric, as it appears on /metrics. */
export function prometheusName(metric: { name: string }): string {
	return metric.name.replace(/[.-]/g, "_");
}

/** What the services record; each call is one fact that just became true. */
export class ShopMetrics {
	constructor(private readonly broker: ServiceBroker) {}

	private get registry() {
		return this.broker.isMetricsEnabled() ? this.broker.metrics : null;
	}

	orderCreated(): void {
		this.registry?.increment(SHOP_METRICS.ordersCreated.name);
	}

	orderFinished(outcome: "CONFIRMED" | "CANCELLED", reason: CancelReason | undefined, sagaSeconds: number): void {
		const registry = this.registry;
		if (!registry) return;
		if (outcome === "CONFIRMED") registry.increment(SHOP_METRICS.ordersConfirmed.name);
		else registry.increment(SHOP_METRICS.ordersCancelled.name, { reason: reason ?? "UNKNOWN" });
		registry.observe(SHOP_METRICS.sagaDuration.name, sagaSeconds, { outcome });
	}

	outboxBacklog(service: string, events: number): void {
		this.registry?.set(SHOP_METRICS.outboxBacklog.name, events, { service });
	}

	consumerLag(group: string, topic: string, partition: number, lag: number): void {
		this.registry?.set(SHOP_METRICS.consumerLag.name, lag, { group, topic, partition: String(partition) });
	}

	deadLetter(service: string, type: string): void {
		this.registry?.increment(SHOP_METRICS.deadLetters.name, { service, type });
	}

	/** A series at 0 for each event a service handles, so the first dead letter shows in rate() and increase(). */
	noDeadLettersYet(service: string, types: string[]): void {
		for (const type of types) this.registry?.increment(SHOP_METRICS.deadLetters.name, { service, type }, 0);
	}

	paymentCaptured(cents: number, currency: string): void {
		this.registry?.increment(SHOP_METRICS.paymentsCaptured.name, { currency }, cents);
	}

	paymentRefunded(cents: number, currency: string): void {
		this.registry?.increment(SHOP_METRICS.paymentsRefunded.name, { currency }, cents);
	}

	processorCircuit(open: boolean): void {
		this.registry?.set(SHOP_METRICS.processorCircuitOpen.name, open ? 1 : 0);
	}

	processorWebhook(outcome: "applied" | "unchanged" | "unknown"): void {
		this.registry?.increment(SHOP_METRICS.processorWebhooks.name, { outcome });
	}

	paymentReconciled(): void {
		this.registry?.increment(SHOP_METRICS.paymentsReconciled.name);
	}

	reservationExpired(): void {
		this.registry?.increment(SHOP_METRICS.reservationsExpired.name);
	}
}

const byBroker = new WeakMap<ServiceBroker, ShopMetrics>();

export function shopMetrics(broker: ServiceBroker): ShopMetrics {
	let metrics = byBroker.get(broker);
	if (!metrics) byBroker.set(broker, (metrics = new ShopMetrics(broker)));
	return metrics;
}

/** Registers the shop's metrics on a node whose metrics are on. */
export function ShopMetricsMiddleware(): Middleware {
	return {
		name: "ShopMetrics",
		created(broker: ServiceBroker) {
			if (!broker.isMetricsEnabled()) return;
			const registry = broker.metrics;
			for (const metric of Object.values(SHOP_METRICS)) {
				registry.register({
					...metric,
					labelNames: [...metric.labelNames],
					...("buckets" in metric ? { buckets: [...metric.buckets] } : {}),
					rate: false,
				} as never);
			}
			// Counters start at 0 where their labels are known in advance: a series that appears only
			// with its first event makes rate() and increase() miss that event.
			for (const metric of [SHOP_METRICS.ordersCreated, SHOP_METRICS.ordersConfirmed, SHOP_METRICS.reservationsExpired, SHOP_METRICS.paymentsReconciled])
				registry.increment(metric.name, undefined, 0);
			for (const outcome of ["applied", "unchanged", "unknown"]) registry.increment(SHOP_METRICS.processorWebhooks.name, { outcome }, 0);
			registry.set(SHOP_METRICS.processorCircuitOpen.name, 0);
			for (const reason of CANCEL_REASONS) registry.increment(SHOP_METRICS.ordersCancelled.name, { reason }, 0);
			// Moleculer's cacher counters too (the dashboard's hit ratio reads them); the cacher registered them already.
			if (broker.cacher) for (const name of ["moleculer.cacher.get.total", "moleculer.cacher.found.total"]) registry.increment(name, undefined, 0);
		},
	} as Middleware;
}

/** With METRICS_PORT set, the node serves Prometheus's text format on /metrics there. */
export function metricsOptions(config: ShopConfig): BrokerOptions["metrics"] {
	if (!config.metricsPort) return { enabled: false };
	return {
		enabled: true,
		// Moleculer leaves out the process's memory and CPU when NODE_ENV is "test"; they are wanted everywhere.
		collectProcessMetrics: true,
		reporter: [{ type: "Prometheus", options: { port: config.metricsPort, path: "/metrics" } }],
	};
}
