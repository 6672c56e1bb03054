import { randomUUID } from "node:crypto";
import type { Order } from "../../contracts";
import { FINAL, type Shopper } from "./shopper";

/** How long one customer follows an order before leaving it for the test to find unfinished. */
const FOLLOW_MS = 120_000;
const POLL_MS = 200;

export interface CheckoutLoadOptions {
	/** Each order placed with an Idempotency-Key of its own, as the storefront sends. */
	idempotencyKeys?: boolean;
	/** Each round also reads a page of the catalogue. */
	browse?: boolean;
}

/**
 * Customers checking out without pause while the test does something to the cluster: each views
 * the product, places an order, polls it until it is final, then looks at the payment, their
 * profile and their emails (a request to every service), and starts again. Every HTTP request
 * is counted and timed, and every one that failed (no answer, or not the status that request
 * answers with) is kept with what came back.
 */
export class CheckoutLoad {
	readonly placed: Order[] = [];
	readonly failures: string[] = [];
	requests = 0;
	/** The longest any request took, and which it was. */
	slowest = { ms: 0, what: "" };
	/** How long each request took, in ms. */
	readonly latencies: number[] = [];
	private running = true;
	private readonly customers: Promise<void>[];

	constructor(
		shoppers: Shopper[],
		productId: string,
		private readonly options: CheckoutLoadOptions = {},
	) {
		this.customers = shoppers.map((shop) => this.checkOut(shop, productId));
	}

	/** Stops placing orders, lets every customer follow the order in hand to its end; returns every order as it ended. */
	async stop(): Promise<Order[]> {
		this.running = false;
		await Promise.all(this.customers);
		return this.placed;
	}

	private async checkOut(shop: Shopper, productId: string): Promise<void> {
		const get = (path: string) => () => shop.api.get(path, shop.customer);
		while (this.running) {
			if (this.options.browse) await this.request("GET /products?page=…", 200, get(`/products?page=${(this.requests % 3) + 1}&pageSize=10`));
			await this.request(`GET /products/${productId}`, 200, get(`/products/${productId}`));
			const key = this.options.idempotencyKeys ? { "idempotency-key": randomUUID() } : undefined;
			const placed = (await this.request("POST /orders", 201, () => shop.placeOrder(productId, 1, undefined, key))) as Order | undefined;
			if (!placed) continue;
			const index = this.placed.push(placed) - 1;
			// Followed to its end even once stopped: an order placed is an order to finish.
			for (const until = Date.now() + FOLLOW_MS; !FINAL.includes(this.placed[index]!.status) && Date.now() < until;) {
				await new Promise((resolve) => setTimeout(resolve, POLL_MS));
				this.placed[index] =
					((await this.request(`GET /orders/${placed.id}`, 200, get(`/orders/${placed.id}`))) as Order | undefined) ?? this.placed[index]!;
			}
			await this.request(`GET /payments?orderId=${placed.id}`, 200, get(`/payments?orderId=${placed.id}`));
			await this.request("GET /me", 200, get("/me"));
			await this.request("GET /notifications", 200, get("/notifications"));
		}
	}

	private async request(what: string, expected: number, send: () => Promise<{ status: number; body: unknown }>): Promise<unknown> {
		this.requests++;
		const began = Date.now();
		try {
			const res = await send().finally(() => {
				const ms = Date.now() - began;
				this.latencies.push(ms);
				if (ms > this.slowest.ms) this.slowest = { ms, what };
			});
			if (res.status === expected) return res.body;
			this.failures.push(`${new Date().toISOString()} ${what} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
		} catch (err) {
			// eslint-disable-next-line @typescript-eslint/no-base-to-string -- the cause is usually an Error, which String() prints as its name and message
			this.failures.push(`${new Date().toISOString()} ${what} failed: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? "")}`);
		}
		return undefined;
	}
}
