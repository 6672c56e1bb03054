import fs from "node:fs";
import path from "node:path";
import type { Order } from "../../contracts";
import { percentile } from "../../scripts/bench/report";
import type { Notification } from "../../scripts/alert-receiver";
import { ROOT } from "../../scripts/cluster-lib";
import { decideOn3dsPage, processorLedger } from "../helpers/processor";
import { waitFor, waitForValue } from "../helpers/wait";
import { CheckoutLoad } from "../infra/checkout-load";
import { expectConserved, outcome } from "../infra/conservation";
import { FINAL, Shopper } from "../infra/shopper";
import { COMPOSE_ADMIN, ComposeStack, type Container } from "./stack";

/**
 * The shop as docker-compose.yml runs it, in containers built on this machine
 * (`npm run docker:images`), scaled as its users scale it: every image, health check, start
 * order, volume and signal of the compose file, for real. One stack for the whole file, in order.
 */
const SCALE = { api: 2, catalogue: 2, customers: 1, carts: 1, orders: 2, payments: 3, shipping: 1, notifications: 1 };
/** The servers, the card processor sandbox, and the observability profile's alerting: one container each. */
const INFRA = ["nats", "kafka", "mongo", "proxy", "zipkin", "prometheus", "alertmanager", "alert-receiver", "payment-sandbox"];
const base = Number(process.env.COMPOSE_TEST_PORT ?? 3800);
const stack = new ComposeStack(process.env.COMPOSE_TEST_PROJECT ?? "shoptest", {
	http: base,
	prometheus: base + 1,
	zipkin: base + 2,
	sandbox: base + 3,
	alertmanager: base + 4,
	alertReceiver: base + 5,
});
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Every service by name: Grafana, the one left, has no local stand-in (docker-compose.local.yml). */
const up = () => stack.compose("up", "-d", ...Object.entries(SCALE).flatMap(([service, n]) => ["--scale", `${service}=${n}`]), ...INFRA, ...Object.keys(SCALE));

/** `up`, then until every container is healthy and the gateway's /health says every service is there; the containers. */
async function upAndReady(): Promise<Container[]> {
	await up();
	const containers = await stack.waitHealthy();
	const gatewayStatus = () =>
		fetch(`${stack.baseUrl}/health`).then(
			(res) => res.status,
			() => 0,
		);
	await waitFor(gatewayStatus, (status) => status === 200, 120_000, 500);
	return containers;
}

/** Until the load has placed `count` orders in all. */
async function ordersPlaced(load: CheckoutLoad, count: number): Promise<void> {
	await waitFor(
		async () => load.placed.length,
		(n) => n >= count,
		60_000,
		200,
	);
}

/** A killed container counts as stopped by hand (its restart policy leaves it down): started again, it rejoins and turns healthy. */
/** The customers' orders of one product, once every order of theirs is CONFIRMED or CANCELLED (or the time is up). */
async function finalOrdersOf(customers: Shopper[], productId: string, timeoutMs: number): Promise<Order[]> {
	const held = await Promise.all(
		customers.map((customer) =>
			waitFor(
				() => customer.allOrders(),
				(all) => all.every((order) => ["CONFIRMED", "CANCELLED"].includes(order.status)),
				timeoutMs,
				1000,
			),
		),
	);
	return held.flat().filter((order) => order.items.some((line) => line.productId === productId));
}

async function startAgain(victim: Container): Promise<void> {
	await stack.docker("start", victim.id);
	expect((await stack.waitHealthy()).find((c) => c.id === victim.id)).toMatchObject({ state: "running", health: "healthy" });
}

/** The MongoDB-wire container on the project's network (the stock), beside the processor's books (the sandbox's published API). */
let mongoUri = "";
const books = () => ({ mongoUri, processor: stack.processor });
let shop: Shopper;
/** Every order any test placed, for the checks after `down` and `up`. */
const placed: Order[] = [];

/** The ids of every email the shop sent this customer. */
async function emailIds(customer: Shopper): Promise<string[]> {
	const ids: string[] = [];
	for (let page = 1; ; page++) {
		const res = await customer.api.get(`/notifications?page=${page}&pageSize=100`, customer.customer);
		if (res.status !== 200) throw new Error(`listing emails answered ${res.status}: ${JSON.stringify(res.body)}`);
		ids.push(...(res.body.rows as { id: string }[]).map((row) => row.id));
		if (page >= res.body.totalPages) return ids;
	}
}

const chargesIn = (log: string) => [...log.matchAll(/\[order ([0-9a-f-]{36})\] payment PENDING -> CHARGING/g)].map((match) => match[1]!);

beforeAll(async () => {
	await stack.compose("down", "-v", "--remove-orphans");
	const containers = await upAndReady();
	mongoUri = `mongodb://${await stack.address(containers.find((c) => c.service === "mongo")!)}:27017`;
	shop = await Shopper.signIn(stack.baseUrl, undefined, COMPOSE_ADMIN);
}, 600_000);

afterAll(async () => {
	if (process.env.COMPOSE_KEEP) return;
	await stack.compose("down", "-v", "--remove-orphans").catch((err) => console.error(err));
}, 120_000);

describe("docker compose up with api=2, payments=3, orders=2, catalogue=2 and the observability profile", () => {
	it("runs every replica and server, each healthy by its own health check", async () => {
		const containers = await stack.containers();
		const count = (service: string) => containers.filter((c) => c.service === service && c.state === "running").length;
		expect(Object.fromEntries(Object.keys(SCALE).map((service) => [service, count(service)]))).toEqual(SCALE);
		expect(Object.fromEntries(INFRA.map((service) => [service, count(service)]))).toEqual(Object.fromEntries(INFRA.map((service) => [service, 1])));
		// Every shop node and server of the compose file has a health check, and passes it.
		const unchecked = containers.filter((c) => c.health === "" && !["zipkin", "prometheus", "proxy"].includes(c.service));
		expect(unchecked.map((c) => c.name)).toEqual([]);
		expect(containers.filter((c) => c.health !== "" && c.health !== "healthy").map((c) => `${c.name} ${c.health}`)).toEqual([]);
	});

	it("publishes the proxy in front of the gateways, the payment sandbox, Prometheus, Zipkin, Alertmanager and the alert receiver on the host's loopback only, and nothing else", async () => {
		const published: Record<string, string[]> = {};
		for (const container of await stack.containers()) {
			const ports = await stack.published(container);
			if (ports.length) published[container.service] = ports;
		}
		expect(published).toEqual({
			proxy: [`8080/tcp=127.0.0.1:${stack.ports.http}`],
			"payment-sandbox": [`3100/tcp=127.0.0.1:${stack.ports.sandbox}`],
			prometheus: [`9090/tcp=127.0.0.1:${stack.ports.prometheus}`],
			zipkin: [`9411/tcp=127.0.0.1:${stack.ports.zipkin}`],
			alertmanager: [`9093/tcp=127.0.0.1:${stack.ports.alertmanager}`],
			"alert-receiver": [`9095/tcp=127.0.0.1:${stack.ports.alertReceiver}`],
		});
	});

	it("confirms a good card, cancels a declined one and an order beyond the stock, through the gateway", async () => {
		const productId = await shop.product(5, 1999);
		const good = await shop.order(productId, 2);
		const declined = await shop.order(productId, 1, "tok_decline");
		const tooMany = await shop.order(productId, 4);
		placed.push(good, declined, tooMany);
		expect(await shop.finalOrder(good.id)).toMatchObject({ status: "CONFIRMED", goodsCents: 2 * 1999, tracking: { carrier: expect.any(String) } });
		expect(await shop.finalOrder(declined.id)).toMatchObject({ status: "CANCELLED", cancelReason: "PAYMENT_DECLINED" });
		expect(await shop.finalOrder(tooMany.id)).toMatchObject({ status: "CANCELLED", cancelReason: "OUT_OF_STOCK" });
		// The declined order's unit went back; only the good order's two are gone.
		expect(await waitForValue(() => shop.storedStock(productId), 3, 30_000, 250)).toBe(3);
	});

	it("sells 30 units to 60 concurrent orders exactly once across two catalogue replicas", async () => {
		const product = { id: await shop.product(30, 1000), stock: 30 };
		const orders = await shop.orders(product.id, 60);
		const finals = await Promise.all(orders.map((order) => shop.finalOrder(order.id, 150_000)));
		placed.push(...finals);
		expect(outcome(finals)).toBe("30 confirmed, 30 cancelled (30 OUT_OF_STOCK)");
		await expectConserved(books(), shop, product, finals);
	});

	it("confirms a 3-D Secure payment approved on the sandbox's published page, its webhook coming in through the proxy", async () => {
		const productId = await shop.product(5, 1450);
		const order = await shop.order(productId, 1, "tok_3ds");
		placed.push(order);
		const waiting = await waitFor(
			() => shop.get(order.id),
			(current) => current.paymentActionUrl !== undefined || FINAL.includes(current.status),
			60_000,
			250,
		);
		// The sandbox's container, on the port it publishes for the browser.
		expect(waiting).toMatchObject({
			status: "AWAITING_PAYMENT",
			paymentActionUrl: expect.stringMatching(new RegExp(`^http://localhost:${stack.ports.sandbox}/3ds/pi_`)),
		});
		const page = await fetch(waiting.paymentActionUrl!);
		expect({ status: page.status, approve: (await page.text()).includes('value="approve"') }).toEqual({ status: 200, approve: true });
		const decided = await decideOn3dsPage(waiting.paymentActionUrl!, "approve");
		// Back to the storefront through the proxy's published port.
		expect(decided.status).toBe(303);
		expect(decided.headers.get("location")).toMatch(
			new RegExp(`^${escaped(`http://localhost:${stack.ports.http}/orders/${order.id}?payment_intent=pi_`)}`),
		);
		// Settled by the webhook the sandbox sent to the proxy, which handed it to a gateway.
		const final = await shop.finalOrder(order.id);
		expect(final).toMatchObject({ status: "CONFIRMED" });
		placed[placed.indexOf(order)] = final;
		const [proxy] = await stack.running("proxy");
		expect(await stack.logs(proxy!)).toMatch(/POST \/api\/webhooks\/payments/);
		expect((await processorLedger(stack.processor, [order.id])).map((entry) => `${entry.kind} ${entry.amountCents}`)).toEqual([
			`charge ${order.totalCents}`,
		]);
	});

	it("shares the charges among the three payments containers", async () => {
		const charged = await Promise.all((await stack.running("payments")).map(async (c) => [c.name, chargesIn(await stack.logs(c)).length] as const));
		console.log(`charges per payments container: ${charged.map(([name, n]) => `${name} ${n}`).join(", ")}`);
		expect(charged).toHaveLength(3);
		expect(charged.filter(([, n]) => n === 0)).toEqual([]);
	});
});

describe("the storefront, served by the gateway from the image", () => {
	/** The element web/index.html mounts the app on, as the built page must carry it. */
	const root = /<div id="[^"]+"/.exec(fs.readFileSync(path.join(ROOT, "web", "index.html"), "utf8"))?.[0];
	const get = (urlPath: string, headers: Record<string, string> = {}) => fetch(`${stack.origin}${urlPath}`, { headers });
	/** The built files the page names under /assets/ (Vite's, each with a content hash in its name). */
	const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);

	it("answers / and a page of the app with the app's HTML, revalidated on each visit", async () => {
		expect(root).toBeDefined();
		for (const page of ["/", "/products/some-product", "/cart"]) {
			const res = await get(page, { accept: "text/html" });
			const html = await res.text();
			expect({ page, status: res.status, type: res.headers.get("content-type"), cache: res.headers.get("cache-control") }).toEqual({
				page,
				status: 200,
				type: "text/html; charset=utf-8",
				cache: "no-cache",
			});
			expect(html).toContain(root);
			expect(assetsOf(html).some((asset) => asset.endsWith(".js"))).toBe(true);
		}
	});

	it("serves the page's hashed scripts and styles under /assets/ as immutable for a year, and a missing one as a 404", async () => {
		const assets = assetsOf(await (await get("/")).text());
		expect(assets.length).toBeGreaterThan(0);
		for (const asset of assets) {
			expect(asset).toMatch(/^\/assets\/[\w.-]+-[\w-]{8,}\.(js|css)$/);
			const res = await get(asset, { "accept-encoding": "gzip" });
			const body = await res.arrayBuffer();
			expect({ asset, status: res.status, type: res.headers.get("content-type"), cache: res.headers.get("cache-control") }).toEqual({
				asset,
				status: 200,
				type: asset.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8",
				cache: "public, max-age=31536000, immutable",
			});
			expect(body.byteLength).toBeGreaterThan(0);
		}
		// A stale chunk's name is a clear 404, not the app's page parsed as a script.
		const missing = await get("/assets/index-00000000.js");
		expect(missing.status).toBe(404);
		expect(missing.headers.get("content-type")).not.toMatch(/text\/html/);
	});

	it("leaves /api to the API: JSON answers, and an unknown /api path is the API's JSON 404, not the app's page", async () => {
		for (const [urlPath, status] of [
			["/api/health", 200],
			["/api/products?pageSize=1", 200],
			["/api/no-such-route", 404],
			["/api/products/no-such-product/nothing", 404],
		] as const) {
			// As a browser's address bar asks, preferring HTML: the API still answers for itself.
			const res = await get(urlPath, { accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
			const text = await res.text();
			expect({ urlPath, status: res.status, type: res.headers.get("content-type") }).toEqual({
				urlPath,
				status,
				type: "application/json; charset=utf-8",
			});
			expect(() => JSON.parse(text)).not.toThrow();
			expect(text).not.toContain(root);
		}
	});
});

describe("a payments container killed during a burst of orders", () => {
	it("finishes every order, charges none twice, and conserves stock and money", async () => {
		const product = { id: await shop.product(1000, 1250), stock: 1000 };
		const ids = new Set<string>();
		// Slow cards keep charges in flight, so the kill lands between a charge and the processor's answer.
		const burst = Promise.all(
			Array.from({ length: 60 }, async (_, i) => {
				const res = await shop.placeOrder(product.id, 1, i % 3 === 0 ? "tok_slow" : undefined);
				if (res.status === 201) ids.add(res.body.id);
				return res;
			}),
		);
		const [victim] = await stack.running("payments");
		// Killed once it has begun a charge for an order of this burst.
		await waitFor(
			async () => chargesIn(await stack.logs(victim!, 400)).filter((id) => ids.has(id)),
			(begun) => begun.length > 0,
			120_000,
			250,
		);
		await stack.docker("kill", victim!.id);
		const answers = await burst;
		expect(answers.filter((res) => res.status !== 201).map((res) => `${res.status} ${JSON.stringify(res.body)}`)).toEqual([]);

		const held = await waitFor(
			() => shop.allOrders(),
			(orders) => orders.every((order) => ["CONFIRMED", "CANCELLED"].includes(order.status)),
			240_000,
			1000,
		);
		const burstOrders = held.filter((order) => ids.has(order.id));
		placed.push(...burstOrders);
		expect(burstOrders).toHaveLength(60);
		expect(burstOrders.filter((order) => order.status !== "CONFIRMED")).toEqual([]);
		await expectConserved(books(), shop, product, burstOrders);
		console.log(`payments container ${victim!.name} killed: ${outcome(burstOrders)}`);

		await startAgain(victim!);
	});
});

describe("a gateway container killed under load, behind the proxy", () => {
	it("fails no request (the proxy sends reads and keyed orders to the other gateway), keeps p99 under 2 s, and confirms and charges every order once", async () => {
		const product = { id: await shop.product(1000, 800), stock: 1000 };
		const customers = [shop, ...(await Promise.all([1, 2, 3].map(() => Shopper.signIn(stack.baseUrl, undefined, COMPOSE_ADMIN))))];
		const load = new CheckoutLoad(customers, product.id, { idempotencyKeys: true, browse: true });
		const [victim] = await stack.running("api");
		try {
			await ordersPlaced(load, 6);
			await stack.docker("kill", victim!.id);
			const before = load.requests;
			// Requests enough after the kill that the dead gateway's share of them was sent somewhere.
			await waitFor(
				async () => load.requests,
				(n) => n >= before + 120,
				120_000,
				200,
			);
		} finally {
			placed.push(...(await load.stop()));
		}
		const p99 = percentile(load.latencies, 99);
		console.log(
			`gateway ${victim!.name} killed under load: ${load.requests} requests, p99 ${p99} ms, slowest ${load.slowest.ms} ms (${load.slowest.what}); ${outcome(load.placed)}`,
		);
		expect(load.failures).toEqual([]);
		expect(p99).toBeLessThan(2000);
		expect(load.placed.filter((order) => order.status !== "CONFIRMED").map((order) => `${order.id} ${order.status}`)).toEqual([]);
		await expectConserved(books(), shop, product, load.placed);

		await startAgain(victim!);
	});
});

describe("docker compose run --rm repl", () => {
	it("joins the running stack as one more node: it calls an action and tells an order's whole saga", async () => {
		const order = placed.find((candidate) => candidate.status === "CONFIRMED")!;
		const repl = stack.repl();
		try {
			// Typed again until the REPL's node has found the catalogue's.
			const listed = await repl.typeUntil("call catalogue.list --pageSize 2", /totalPages/, 120_000);
			expect(listed).toMatch(/pageSize\W+2/);
			const saga = await repl.typeUntil(`saga ${order.id}`, /CONFIRMED/, 30_000);
			for (const service of ["orders", "catalogue", "payments"]) expect(saga).toContain(service);
			repl.type("exit");
			expect(await repl.exited).toBe(0);
		} finally {
			repl.kill();
		}
		// Nothing of the REPL's is left behind (--rm).
		expect((await stack.containers()).filter((container) => container.service === "repl").map((container) => container.name)).toEqual([]);
	});
});

describe("docker compose restart of the orders service under load", () => {
	it("finishes every order placed, charges none twice, and conserves stock and money", async () => {
		const product = { id: await shop.product(1000, 700), stock: 1000 };
		const customers = [shop, ...(await Promise.all([1, 2].map(() => Shopper.signIn(stack.baseUrl, undefined, COMPOSE_ADMIN))))];
		const load = new CheckoutLoad(customers, product.id);
		let restartMs = 0;
		try {
			await ordersPlaced(load, 6);
			const restarted = Date.now();
			const orders = await stack.running("orders");
			await stack.compose("restart", "orders");
			restartMs = Date.now() - restarted;
			// SIGTERM reached each node through compose's init, and each drained and stopped its broker.
			for (const container of orders) {
				const log = await stack.logs(container);
				// On failure the assertion shows how the node's last run ended.
				const lastRun = log.lastIndexOf("is starting...");
				const ending = /ServiceBroker is stopped/.test(log)
					? "stopped"
					: log
							.slice(0, lastRun < 0 ? undefined : lastRun)
							.split("\n")
							.slice(-40)
							.join("\n");
				expect({ container: container.name, ending }).toEqual({ container: container.name, ending: "stopped" });
			}
			await stack.waitHealthy();
			// Orders placed once both are back, too.
			await ordersPlaced(load, load.placed.length + 6);
		} finally {
			placed.push(...(await load.stop()));
		}

		const ofProduct = await finalOrdersOf(customers, product.id, 180_000);
		expect(ofProduct.filter((order) => !["CONFIRMED", "CANCELLED"].includes(order.status))).toEqual([]);
		expect(ofProduct.filter((order) => order.cancelReason === "TIMEOUT").map((order) => order.id)).toEqual([]);
		await expectConserved(books(), shop, product, ofProduct);
		// While both orders containers restart, placing an order is refused as unavailable (and
		// nothing else fails): the gateway answers 503, never a 500 or a hang.
		const unexpected = load.failures.filter((failure) => !/POST \/orders answered 503|GET \/orders\/\S+ answered 503/.test(failure));
		expect(unexpected).toEqual([]);
		console.log(
			`orders restarted in ${restartMs} ms under load: ${load.requests} requests, ${load.failures.length} refused while it restarted, ${outcome(ofProduct)}; slowest ${load.slowest.ms} ms (${load.slowest.what})`,
		);
	});
});

describe("orders scaled from one container to two, each on its CPU budget", () => {
	/** Final orders a second while `customers` check out without pause for `seconds`, once as many orders as customers have ended. */
	async function checkoutRate(customers: Shopper[], productId: string, seconds: number): Promise<number> {
		const load = new CheckoutLoad(customers, productId, { idempotencyKeys: true });
		let window = { from: 0, to: 0 };
		try {
			await waitFor(
				async () => load.placed.filter((order) => FINAL.includes(order.status)).length,
				(n) => n >= customers.length,
				90_000,
				200,
			);
			const from = Date.now();
			await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
			window = { from, to: Date.now() };
		} finally {
			placed.push(...(await load.stop()));
		}
		expect(load.failures).toEqual([]);
		const ended = load.placed.filter(
			(order) => FINAL.includes(order.status) && Date.parse(order.updatedAt) >= window.from && Date.parse(order.updatedAt) < window.to,
		);
		return ended.length / ((window.to - window.from) / 1000);
	}

	it("checks out faster with two orders containers than with one: a replica adds what its budget buys", async () => {
		const product = { id: await shop.product(5000, 600), stock: 5000 };
		// Twelve checkouts at once, more than one orders container's budget can serve.
		const customers = Array.from({ length: 12 }, () => shop);
		const rates: number[] = [];
		for (const replicas of [1, 2]) {
			await stack.compose("up", "-d", "--no-deps", "--scale", `orders=${replicas}`, "orders");
			await stack.waitHealthy();
			rates.push(await checkoutRate(customers, product.id, 30));
		}
		console.log(
			`checkout through compose at orders=1 and orders=2: ${rates.map((rate) => rate.toFixed(1)).join(" and ")} orders/s (${(rates[1]! / rates[0]!).toFixed(2)}×)`,
		);
		// Uncapped, a second container adds nothing on a shared machine (docs/performance.md); on their
		// budgets it added 1.38x to 1.94x here, where the stack's servers share the same two cores.
		expect(rates[1]! / rates[0]!).toBeGreaterThanOrEqual(1.2);
		expect((await stack.running("orders")).length).toBe(SCALE.orders);
	});
});

describe("every payments container stopped under load, with the observability profile's alerting", () => {
	const ALERT = "ServiceWithoutReplica";
	/** The rule's promise (observability/alerts.yml): firing within a minute of the last replica going; this much is allowed here. */
	const FIRING_WITHIN_MS = 90_000;
	type Received = { receivedAt: string; alert: Notification["alerts"][number] };
	/** The receiver's ServiceWithoutReplica alerts for payments in `status`, taken after `since`. */
	async function paymentsAlerts(status: "firing" | "resolved", since: number): Promise<Received[]> {
		return (await stack.receivedAlerts())
			.filter((notification) => Date.parse(notification.receivedAt) >= since)
			.flatMap((notification) => notification.alerts.map((alert) => ({ receivedAt: notification.receivedAt, alert })))
			.filter(({ alert }) => alert.labels.alertname === ALERT && alert.labels.service === "payments" && alert.status === status);
	}

	it("has Alertmanager deliver ServiceWithoutReplica for payments, firing within the rule's minute and resolved once they are back, and confirms and charges once every order placed meanwhile", async () => {
		// The rule is loaded, Prometheus sends to the Alertmanager, and every node counts three payments replicas.
		type RuleGroup = { name: string; rules: { name: string; type: string; health: string }[] };
		const rules = (await stack.prometheus<{ groups: RuleGroup[] }>("rules")).groups.flatMap((group) => group.rules);
		expect(rules.filter((rule) => rule.name === ALERT).map((rule) => [rule.type, rule.health])).toEqual([["alerting", "ok"]]);
		const alertmanagers = await waitFor(
			() => stack.prometheus<{ activeAlertmanagers: { url: string }[] }>("alertmanagers"),
			(data) => data.activeAlertmanagers.length > 0,
			60_000,
			1000,
		);
		expect(alertmanagers.activeAlertmanagers.map((am) => new URL(am.url).port)).toEqual(["9093"]);
		type Sample = { metric: { service: string }; value: [number, string] };
		const replicas = await waitFor(
			() =>
				stack.prometheus<{ result: Sample[] }>(
					`query?query=${encodeURIComponent('max by (service) (shop_cluster_service_replicas{service="payments"})')}`,
				),
			(data) => data.result[0]?.value[1] === String(SCALE.payments),
			60_000,
			1000,
		);
		expect(replicas.result.map((sample) => [sample.metric.service, sample.value[1]])).toEqual([["payments", String(SCALE.payments)]]);

		const product = { id: await shop.product(1000, 900), stock: 1000 };
		const customers = [shop, ...(await Promise.all([1, 2].map(() => Shopper.signIn(stack.baseUrl, undefined, COMPOSE_ADMIN))))];
		const load = new CheckoutLoad(customers, product.id, { idempotencyKeys: true });
		const timings = { firedS: 0, resolvedS: 0, resolvedAfterReadyS: 0, outageS: 0 };
		try {
			await ordersPlaced(load, 6);
			const payments = await stack.running("payments");
			expect(payments).toHaveLength(SCALE.payments);
			await stack.compose("stop", "payments");
			expect(await stack.running("payments")).toEqual([]);
			// The last replica gone: the last of the containers to exit (SIGTERM, then the broker's drain).
			const lastGone = Math.max(...(await Promise.all(payments.map((container) => stack.times(container)))).map((t) => t.finishedAt));
			const placedWhileDown = load.placed.length;
			const firing = await waitFor(
				() => paymentsAlerts("firing", lastGone),
				(received) => received.length > 0,
				Math.max(1000, lastGone + FIRING_WITHIN_MS - Date.now()),
				250,
			);
			expect(firing.map(({ alert }) => alert.labels)).toEqual([expect.objectContaining({ alertname: ALERT, service: "payments", severity: "critical" })]);
			expect(Object.keys(firing[0]!.alert.annotations).sort()).toEqual(expect.arrayContaining(["description", "runbook_url", "summary"]));
			timings.firedS = (Date.parse(firing[0]!.receivedAt) - lastGone) / 1000;
			expect(timings.firedS).toBeLessThanOrEqual(FIRING_WITHIN_MS / 1000);

			const restarting = Date.now();
			await stack.compose("up", "-d", "--no-deps", "--scale", `payments=${SCALE.payments}`, "payments");
			const resolved = await waitFor(
				() => paymentsAlerts("resolved", restarting),
				(received) => received.length > 0,
				120_000,
				250,
			);
			expect(resolved.map(({ alert }) => alert.labels)).toEqual([expect.objectContaining({ alertname: ALERT, service: "payments" })]);
			timings.resolvedS = (Date.parse(resolved[0]!.receivedAt) - restarting) / 1000;
			const back = await stack.running("payments");
			const firstStarted = Math.min(...(await Promise.all(back.map((container) => stack.times(container)))).map((t) => t.startedAt));
			timings.resolvedAfterReadyS = (Date.parse(resolved[0]!.receivedAt) - firstStarted) / 1000;
			timings.outageS = (firstStarted - lastGone) / 1000;
			expect((await stack.waitHealthy()).filter((c) => c.service === "payments" && c.state === "running")).toHaveLength(SCALE.payments);
			expect(load.placed.length).toBeGreaterThanOrEqual(placedWhileDown);
			// Orders placed once they are back, too.
			await ordersPlaced(load, load.placed.length + 6);
		} finally {
			placed.push(...(await load.stop()));
		}

		const ofProduct = await finalOrdersOf(customers, product.id, 240_000);
		expect(ofProduct.length).toBeGreaterThan(0);
		expect(ofProduct.filter((order) => order.status !== "CONFIRMED").map((order) => `${order.id} ${order.status} ${order.cancelReason ?? ""}`)).toEqual([]);
		await expectConserved(books(), shop, product, ofProduct);
		// With no payments replica the gateway answers a payment's read 503; nothing else fails.
		const unexpected = load.failures.filter((failure) => !/GET \/payments\?orderId=\S+ answered 503/.test(failure));
		expect(unexpected).toEqual([]);
		console.log(
			`every payments container stopped under load: ${ALERT} firing delivered ${timings.firedS.toFixed(1)} s after the last replica exited; ` +
				`payments down ${timings.outageS.toFixed(1)} s; resolved delivered ${timings.resolvedS.toFixed(1)} s after \`up\` ` +
				`(${timings.resolvedAfterReadyS.toFixed(1)} s after the first replica started); ${load.requests} requests, ${load.failures.length} refused; ${outcome(ofProduct)}`,
		);
	});
});

describe("docker compose down, then up again", () => {
	it("keeps every service's data in the named volumes", async () => {
		const customerOrders = await shop.allOrders();
		const products = (await shop.api.get("/products?pageSize=100")).body;
		const emails = await emailIds(shop);
		expect(customerOrders.length).toBeGreaterThan(0);
		expect(emails.length).toBeGreaterThan(0);

		await stack.compose("down");
		expect(await stack.containers()).toEqual([]);
		await upAndReady();

		// The same customer signs in again (customers), and finds the same orders (orders), stock
		// (catalogue), payments (payments) and emails (notifications).
		const login = await shop.api.post("/auth/login", { email: shop.email, password: "correct-horse-battery" });
		expect(login.status).toBe(200);
		expect((await shop.allOrders()).map((order) => [order.id, order.status]).sort()).toEqual(
			customerOrders.map((order) => [order.id, order.status]).sort(),
		);
		expect((await shop.api.get("/products?pageSize=100")).body).toEqual(products);
		// Every email sent before (one still on its way then may have been added since), and its
		// .eml file (no SMTP_URL here) in the new notifications container's volume.
		const emailsAfter = new Set(await emailIds(shop));
		expect(emails.filter((id) => !emailsAfter.has(id))).toEqual([]);
		const [notifications] = await stack.running("notifications");
		const files = new Set((await stack.docker("exec", notifications!.id, "ls", "/app/data/notifications/mail")).split("\n"));
		expect(emails.filter((id) => !files.has(`${id}.eml`))).toEqual([]);
		const someConfirmed = customerOrders.find((order) => order.status === "CONFIRMED")!;
		expect((await shop.api.get(`/payments?orderId=${someConfirmed.id}`, shop.customer)).status).toBe(200);
		// The payment sandbox's books (its own volume): the confirmed order's charge is still there.
		const charged = await waitFor(
			() => processorLedger(stack.processor, [someConfirmed.id]).catch(() => []),
			(entries) => entries.length > 0,
			60_000,
			500,
		);
		expect(charged.map((entry) => `${entry.kind} ${entry.amountCents}`)).toEqual([`charge ${someConfirmed.totalCents}`]);
	});
});

describe("the observability profile", () => {
	it("has Prometheus scraping every replica of every service, each target up", async () => {
		const shopContainers = (await stack.containers()).filter((c) => c.service in SCALE && c.state === "running");
		const expected = (await Promise.all(shopContainers.map((c: Container) => stack.address(c)))).sort();
		type Target = { labels: { instance: string; compose_service: string }; health: string };
		const targets = await waitFor(
			async () => {
				const res = await fetch(`http://127.0.0.1:${stack.ports.prometheus}/api/v1/targets?state=active`).catch(() => undefined);
				return res?.ok ? ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets : [];
			},
			(active) => active.length === expected.length && active.every((target) => target.health === "up"),
			90_000,
			1000,
		);
		expect(targets.map((target) => target.labels.instance.replace(/:3030$/, "")).sort()).toEqual(expected);
		expect(targets.filter((target) => target.health !== "up")).toEqual([]);
		expect(new Set(targets.map((target) => target.labels.compose_service))).toEqual(new Set(Object.keys(SCALE)));
	});

	it("has Zipkin receiving the shop's spans", async () => {
		const services = await waitFor(
			async () => {
				const res = await fetch(`http://127.0.0.1:${stack.ports.zipkin}/api/v2/services`).catch(() => undefined);
				return res?.ok ? ((await res.json()) as string[]) : [];
			},
			(names) => names.length > 0,
			60_000,
			1000,
		);
		expect(services.length).toBeGreaterThan(0);
	});
});
