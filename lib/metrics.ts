import { monitorEventLoopDelay } from "node:perf_hooks";
import type { BrokerOptions, Middleware, ServiceBroker } from "moleculer";
import { CANCEL_REASONS, SHOP_SERVICES, type CancelReason } from "../contracts";
import type { ShopConfig } from "./env";
import { ShopPrometheusReporter } from "./prometheus-exposition";

/*
 * The shop's own metrics, beside Moleculer's built-in ones (requests, events, transporter,
 * process). Every node registers all of them, so a series exists wherever the work happens to
 * run; Prometheus adds up the nodes. Names follow Prometheus's conventions once Moleculer turns
 * dots into underscores: a unit in the name, counters end in _total.
 */

const SAGA_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/**
 * How long past its deadline an open order counts as stuck. The sweep runs every SAGA_SWEEP_MS (a
 * second by default) and cancels what it finds; a minute leaves room for a slow store, not for an
 * order the sweep cannot move.
 */
export const SAGA_STUCK_AFTER_MS = 60 * 1000;
/** 0.3 s is the reads' objective (docs/observability.md); the buckets around it say by how much one misses. */
const HTTP_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10];

export const SHOP_METRICS = {
	ordersCreated: { name: "shop.orders.created.total", type: "counter", labelNames: [], description: "Orders placed" },
	ordersConfirmed: { name: "shop.orders.confirmed.total", type: "counter", labelNames: [], description: "Orders confirmed (paid, stock committed)" },
	ordersCancelled: { name: "shop.orders.cancelled.total", type: "counter", labelNames: ["reason"], description: "Orders cancelled, by reason" },
	sagaDuration: {
		name: "shop.orders.saga.duration.seconds",
		type: "histogram",
		labelNames: ["outcome"],
		buckets: SAGA_SECONDS_BUCKETS,
		description: "Time from an order's creation to its final status",
	},
	sagasStuck: {
		name: "shop.orders.sagas.stuck",
		type: "gauge",
		labelNames: [],
		description: `Open orders more than ${SAGA_STUCK_AFTER_MS / 1000} s past their step's deadline at the timeout sweep's last look: the sweep cancels an order at its deadline, so one still open is one it cannot move`,
	},
	httpRequests: {
		name: "shop.http.requests.total",
		type: "counter",
		labelNames: ["kind", "code"],
		description: "Answers of the gateway's API, by kind (read: GET and HEAD; write: the rest) and status code",
	},
	httpDuration: {
		name: "shop.http.request.duration.seconds",
		type: "histogram",
		labelNames: ["kind"],
		buckets: HTTP_SECONDS_BUCKETS,
		description: "Time from a request's arrival at the gateway to its answer's last byte (live streams left out)",
	},
	eventLoopDelay: {
		name: "shop.process.event.loop.delay.p99.seconds",
		type: "gauge",
		labelNames: [],
		description: "The 99th percentile of this node's event loop delay over the last sampling period",
	},
	serviceReplicas: {
		name: "shop.cluster.service.replicas",
		type: "gauge",
		labelNames: ["service"],
		description: "Available nodes offering each of the shop's services, as this node's registry sees them",
	},
	inboxRetries: {
		name: "shop.events.inbox.retries.total",
		type: "counter",
		labelNames: ["service", "type", "reason"],
		description: "Failed attempts at handling an event that will be tried again, by reason (failed, or out_of_order: came before the event it depends on)",
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

	sagasStuck(orders: number): void {
		this.registry?.set(SHOP_METRICS.sagasStuck.name, orders);
	}

	httpAnswered(method: string, code: number, seconds: number | undefined): void {
		const registry = this.registry;
		if (!registry) return;
		const kind = method === "GET" || method === "HEAD" ? "read" : "write";
		registry.increment(SHOP_METRICS.httpRequests.name, { kind, code: String(code) });
		if (seconds !== undefined) registry.observe(SHOP_METRICS.httpDuration.name, seconds, { kind });
	}

	inboxRetry(service: string, type: string, reason: "failed" | "out_of_order"): void {
		this.registry?.increment(SHOP_METRICS.inboxRetries.name, { service, type, reason });
	}

	deadLetter(service: string, type: string): void {
		this.registry?.increment(SHOP_METRICS.deadLetters.name, { service, type });
	}

	/** A series at 0 for each event a service handles, so the first dead letter or retry shows in rate() and increase(). */
	noDeadLettersYet(service: string, types: string[]): void {
		for (const type of types) {
			this.registry?.increment(SHOP_METRICS.deadLetters.name, { service, type }, 0);
			for (const reason of ["failed", "out_of_order"]) this.registry?.increment(SHOP_METRICS.inboxRetries.name, { service, type, reason }, 0);
		}
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
			registry.set(SHOP_METRICS.sagasStuck.name, 0);
			for (const reason of CANCEL_REASONS) registry.increment(SHOP_METRICS.ordersCancelled.name, { reason }, 0);
			// Moleculer's cacher counters too (the dashboard's hit ratio reads them); the cacher registered them already.
			if (broker.cacher) for (const name of ["moleculer.cacher.get.total", "moleculer.cacher.found.total"]) registry.increment(name, undefined, 0);
		},
		started(broker: ServiceBroker) {
			if (broker.isMetricsEnabled()) samplers.set(broker, sampleNode(broker));
		},
		stopped(broker: ServiceBroker) {
			samplers.get(broker)?.();
			samplers.delete(broker);
		},
	} as Middleware;
}

const samplers = new WeakMap<ServiceBroker, () => void>();
/** How often a node samples what it knows only by looking: its event loop and the registry. */
const SAMPLE_MS = 5000;

/**
 * Event loop delay (the saturation of a single-threaded node: a busy one answers late however
 * idle its CPU looks) and the replicas of each service as this node sees them (0 when all of one
 * service's nodes are gone, which no node of that service can report). Returns the stop.
 */
function sampleNode(broker: ServiceBroker): () => void {
	const delay = monitorEventLoopDelay({ resolution: 10 });
	delay.enable();
	const sample = () => {
		broker.metrics.set(SHOP_METRICS.eventLoopDelay.name, delay.percentile(99) / 1e9);
		delay.reset();
		// Every service, 0 included: a series at 0 is what an alert can see.
		const nodes = new Map<string, Set<string>>(SHOP_SERVICES.map((service) => [service, new Set()]));
		for (const service of broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as { name: string; nodeID: string }[]) {
			nodes.get(service.name)?.add(service.nodeID);
		}
		for (const [service, ids] of nodes) broker.metrics.set(SHOP_METRICS.serviceReplicas.name, ids.size, { service });
	};
	sample();
	const timer = setInterval(sample, SAMPLE_MS);
	timer.unref();
	return () => {
		clearInterval(timer);
		delay.disable();
	};
}

/** With METRICS_PORT set, the node serves Prometheus's text format on /metrics there. */
export function metricsOptions(config: ShopConfig): BrokerOptions["metrics"] {
	if (!config.metricsPort) return { enabled: false };
	return {
		enabled: true,
		// Moleculer leaves out the process's memory and CPU when NODE_ENV is "test"; they are wanted everywhere.
		collectProcessMetrics: true,
		// Moleculer's Prometheus reporter, writing what `promtool check metrics` accepts (lib/prometheus-exposition.ts).
		reporter: [new ShopPrometheusReporter({ port: config.metricsPort, path: "/metrics" }) as never],
	};
}
