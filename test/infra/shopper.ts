import { randomUUID } from "node:crypto";
import type { Order } from "../../contracts";
import { adminToken, http, signUp } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

export const INFRA_ADMIN = { email: "admin@infra.local", password: "admin-infra-password" };
const address = { name: "Grace Hopper", line1: "1 Harbor Rd", city: "Arlington", postalCode: "22201", country: "US" };
export const FINAL = ["CONFIRMED", "CANCELLED"];

/** A customer and the admin of a running cluster, driving it over HTTP as users would. */
export class Shopper {
	readonly run = randomUUID().slice(0, 8);
	readonly api: ReturnType<typeof http>;

	private constructor(
		readonly baseUrl: string,
		readonly admin: string,
		readonly customer: string,
		readonly email: string,
	) {
		this.api = http(baseUrl);
	}

	static async signIn(baseUrl: string, email = `buyer-${randomUUID().slice(0, 8)}@example.com`, admin = INFRA_ADMIN): Promise<Shopper> {
		return new Shopper(baseUrl, await adminToken(baseUrl, admin), (await signUp(baseUrl, email)).token, email);
	}

	async product(stock: number, priceCents = 2000): Promise<string> {
		const res = await this.api.post(
			"/products",
			{ sku: `INFRA-${this.run}-${randomUUID().slice(0, 6)}`, name: "Infra product", category: "infra", priceCents, stock },
			this.admin,
		);
		if (res.status !== 201) throw new Error(`creating a product answered ${res.status}: ${JSON.stringify(res.body)}`);
		return res.body.id;
	}

	/**
	 * POST /orders as it answered, whatever the status. `postalCode` picks the carrier sandbox's
	 * behaviour: 00000 refused, 99990 never answered (docs/shipping.md).
	 */
	placeOrder(productId: string, qty = 1, paymentMethod?: string, headers?: Record<string, string>, postalCode = address.postalCode) {
		return this.api.post(
			"/orders",
			{ items: [{ productId, qty }], shippingAddress: { ...address, postalCode }, ...(paymentMethod ? { paymentMethod } : {}) },
			this.customer,
			headers,
		);
	}

	async order(productId: string, qty = 1, paymentMethod?: string, postalCode?: string): Promise<Order> {
		const res = await this.placeOrder(productId, qty, paymentMethod, undefined, postalCode);
		if (res.status !== 201) throw new Error(`placing an order answered ${res.status}: ${JSON.stringify(res.body)}`);
		return res.body as Order;
	}

	orders(productId: string, count: number, paymentMethod?: (i: number) => string | undefined): Promise<Order[]> {
		return Promise.all(Array.from({ length: count }, (_, i) => this.order(productId, 1, paymentMethod?.(i))));
	}

	async get(orderId: string): Promise<Order> {
		return (await this.api.get(`/orders/${orderId}`, this.customer)).body as Order;
	}

	/** The order once CONFIRMED or CANCELLED, or as it stands when time runs out. */
	finalOrder(orderId: string, timeoutMs = 90_000): Promise<Order> {
		return waitFor(
			() => this.get(orderId),
			(order) => FINAL.includes(order.status),
			timeoutMs,
			250,
		);
	}

	async stock(productId: string): Promise<number> {
		return (await this.api.get(`/products/${productId}`)).body.stock as number;
	}

	/** The stock as the catalogue's database has it: the admin's reads bypass the replicas' caches. */
	async storedStock(productId: string): Promise<number> {
		return (await this.api.get(`/products/${productId}`, this.admin)).body.stock as number;
	}

	/** Every order of this customer, also any the shop holds that no answer told the test about. */
	async allOrders(): Promise<Order[]> {
		const orders: Order[] = [];
		for (let page = 1; ; page++) {
			const res = await this.api.get(`/orders?page=${page}&pageSize=100`, this.customer);
			if (res.status !== 200) throw new Error(`listing orders answered ${res.status}: ${JSON.stringify(res.body)}`);
			orders.push(...(res.body.rows as Order[]));
			if (page >= res.body.totalPages) return orders;
		}
	}
}
