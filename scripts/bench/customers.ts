import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { json, readInfraEnv } from "../cluster-lib";
import type { LoadRequest, LoadResult } from "./load";
import { ADMIN, BASE, type Options } from "./options";
import { SEED_ORDERS, copiesFor, placeSeedOrders, preloadMongo, preloadNedb } from "./preload";
import { progress } from "./progress";
import { percentile, type Sample } from "./report";
import type { PlacedOrder } from "./stages";
import { shopAnswers, type StartedShop } from "./topology";

/*
 * The load the bench puts on the shop: browsing with autocannon (load.ts, a process of its own
 * per run), customers placing orders and following each to its end (the checkout), and what
 * they need first: accounts, a product with stock enough, and stores filled beforehand.
 */

const address = { name: "Bench Buyer", line1: "1 Load Street", city: "Testville", postalCode: "12345", country: "DE" };

export async function load(
	target: string,
	url: string,
	paths: string[],
	options: Options,
	headers: Record<string, string> = {},
): Promise<Omit<Sample, "round">> {
	const child = fork(path.join(__dirname, "load.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
	const request: LoadRequest = { url, paths, connections: options.connections, seconds: options.seconds, headers };
	const result = await new Promise<LoadResult>((resolve, reject) => {
		child.once("message", (message) => resolve(message as LoadResult));
		child.once("exit", (code) => reject(new Error(`the load generator for ${target} exited with ${code}`)));
		child.send(request);
	});
	return { target, rate: result.requests / options.seconds, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors, requests: result.requests };
}

/**
 * Customers place orders as fast as their saga lets them: each worker posts an order and polls
 * it until it is CONFIRMED or CANCELLED, then places the next. Every order placed is followed
 * to its end, after the clock stops too: one that never gets there is lost.
 *
 * The latency is measured to the moment the order became final by its own `updatedAt` (the shop
 * runs on this machine's clock), not to the moment a poll saw it, so polls can be spaced out:
 * a quarter of the time waited so far, 25 to 200 ms apart. Polling every few milliseconds would
 * itself be a load on the orders service that the saga competes with.
 */
export async function checkout(base: string, tokens: string[], productId: string, options: Options) {
	const latencies: number[] = [];
	const finals: Record<string, number> = {};
	let placed = 0;
	let failedPosts = 0;
	const stopAt = Date.now() + options.checkoutSeconds * 1000;
	let finishedInTime = 0;
	const lost: string[] = [];
	const confirmed: PlacedOrder[] = [];
	await Promise.all(
		tokens.map(async (token) => {
			while (Date.now() < stopAt) {
				const postedAt = Date.now();
				const res = await json<{ id: string }>(`${base}/orders`, {
					method: "POST",
					headers: { authorization: `Bearer ${token}` },
					body: JSON.stringify({ items: [{ productId, qty: 1 }], shippingAddress: address }),
				});
				if (res.status !== 201) {
					failedPosts++;
					continue;
				}
				placed++;
				const giveUpAt = Date.now() + 120_000;
				for (;;) {
					await new Promise((resolve) => setTimeout(resolve, Math.min(200, Math.max(25, (Date.now() - postedAt) / 4))));
					const order = await json<{ status: string; updatedAt: string }>(`${base}/orders/${res.body.id}`, {
						headers: { authorization: `Bearer ${token}` },
					});
					if (order.body?.status === "CONFIRMED" || order.body?.status === "CANCELLED") {
						const finalAt = Date.parse(order.body.updatedAt);
						latencies.push(finalAt - postedAt);
						finals[order.body.status] = (finals[order.body.status] ?? 0) + 1;
						if (order.body.status === "CONFIRMED") confirmed.push({ id: res.body.id, token, postedAt });
						if (finalAt <= stopAt) finishedInTime++;
						break;
					}
					if (Date.now() > giveUpAt) {
						lost.push(res.body.id);
						break;
					}
				}
				progress(`checkout: ${placed} placed, ${latencies.length} final`);
			}
		}),
	);
	return {
		sample: {
			target: "checkout",
			// Orders that became final while customers were placing them, per second of that time.
			rate: finishedInTime / options.checkoutSeconds,
			p50Ms: percentile(latencies, 50),
			p99Ms: percentile(latencies, 99),
			errors: failedPosts + lost.length,
			requests: placed,
		},
		placed,
		finals,
		lost,
		confirmed,
	};
}

export async function signUpCustomers(base: string, count: number): Promise<string[]> {
	const tokens: string[] = [];
	for (let i = 0; i < count; i++) {
		const email = `bench-${randomUUID().slice(0, 8)}@example.com`;
		await json(`${base}/auth/register`, { method: "POST", body: JSON.stringify({ email, password: "bench-password-1", name: "Bench" }) });
		tokens.push((await json(`${base}/auth/login`, { method: "POST", body: JSON.stringify({ email, password: "bench-password-1" }) })).body.token as string);
	}
	return tokens;
}

export async function createBenchProduct(base: string): Promise<string> {
	const admin = (await json(`${base}/auth/login`, { method: "POST", body: JSON.stringify(ADMIN) })).body.token as string;
	const product = await json<{ id: string }>(`${base}/products`, {
		method: "POST",
		headers: { authorization: `Bearer ${admin}` },
		body: JSON.stringify({ sku: `BENCH-${randomUUID().slice(0, 8)}`, name: "Bench item", category: "bench", priceCents: 999, stock: 1_000_000 }),
	});
	return product.body.id;
}

/**
 * Fills the shop's stores with `count` orders' worth of documents (see preload.ts). The embedded
 * shop is stopped for it and started again (NeDB reads its files at start); the cluster's
 * MongoDB databases are written while it runs. Answers the shop that runs afterwards.
 */
export async function preload(options: Options, shop: StartedShop, restart: () => Promise<StartedShop>, dataDir: string): Promise<StartedShop> {
	progress(`preload: ${SEED_ORDERS} orders through the API`);
	const [token] = await signUpCustomers(BASE, 1);
	await placeSeedOrders(BASE, token!, await createBenchProduct(BASE), address);
	const copies = copiesFor(options.preload!, SEED_ORDERS);
	progress(`preload: ${copies} copies of each of their documents`);
	let written: Record<string, number>;
	if (options.mode === "cluster") {
		written = await preloadMongo(readInfraEnv().MONGO_URI!, shop.dbPrefix!, copies);
	} else {
		await shop.stop(true);
		written = preloadNedb(dataDir, copies);
		shop = await restart();
		await shopAnswers();
	}
	console.error(
		`preload: ${Object.entries(written)
			.map(([collection, n]) => `${collection} +${n}`)
			.join(", ")}`,
	);
	return shop;
}

/** What a checkout run measured. */
export type CheckoutRun = Awaited<ReturnType<typeof checkout>>;
