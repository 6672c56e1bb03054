import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { createBrokerConfig } from "../../moleculer.config";
import { loadConfig } from "../../lib/env";
import apiService from "../../services/api/api.service";
import cartsService from "../../services/carts/carts.service";
import catalogueService from "../../services/catalogue/catalogue.service";
import customersService from "../../services/customers/customers.service";
import notificationsService from "../../services/notifications/notifications.service";
import ordersService from "../../services/orders/orders.service";
import paymentsService from "../../services/payments/payments.service";
import shippingService from "../../services/shipping/shipping.service";
import paymentSandboxService from "../../services/payment-sandbox/payment-sandbox.service";
import { freePort } from "./net";

export type ServiceName = "api" | "catalogue" | "customers" | "carts" | "orders" | "payments" | "shipping" | "notifications" | "payment-sandbox";

/** Every service is built the same way: its module's default export makes a fresh schema. */
const SCHEMAS: Record<ServiceName, () => ServiceSchema> = {
	api: apiService as unknown as () => ServiceSchema,
	catalogue: catalogueService as unknown as () => ServiceSchema,
	customers: customersService as unknown as () => ServiceSchema,
	carts: cartsService as unknown as () => ServiceSchema,
	orders: ordersService as unknown as () => ServiceSchema,
	payments: paymentsService as unknown as () => ServiceSchema,
	shipping: shippingService as unknown as () => ServiceSchema,
	notifications: notificationsService as unknown as () => ServiceSchema,
	"payment-sandbox": paymentSandboxService as unknown as () => ServiceSchema,
};

/** Every service of the embedded shop, and the card processor's sandbox beside it (its own server, as in `npm start`). */
export const ALL_SERVICES: ServiceName[] = ["api", "catalogue", "customers", "carts", "orders", "payments", "shipping", "notifications", "payment-sandbox"];

export interface TestShop {
	broker: ServiceBroker;
	dataDir: string;
	/** http://127.0.0.1:<port>/api when the gateway runs, otherwise empty. */
	baseUrl: string;
	/** The card processor's API (the sandbox's when the shop runs one), and the key to call it with. */
	processor: { url: string; secretKey: string };
	/** Stops the broker; the data directory stays so a restart can find it. */
	stop(): Promise<void>;
	/** Stops the broker and removes the data directory. */
	destroy(): Promise<void>;
}

export interface StartOptions {
	services?: ServiceName[];
	env?: Record<string, string>;
	/** Reuse a data directory, e.g. to check what survives a restart. */
	dataDir?: string;
	/** Extra services, e.g. a spy that records events; a function is called while `env` applies. */
	extra?: (ServiceSchema | (() => ServiceSchema))[];
	/** Log as the configuration says (LOG_FORMAT, LOG_LEVEL) instead of not at all. */
	logs?: boolean;
}

export const TEST_JWT_SECRET = "test-secret-that-is-at-least-32-bytes-long!";
export const TEST_ADMIN = { email: "admin@test.local", password: "admin-test-password" };
/** How an order written straight into the store (a stalled saga) ships. */
export const TEST_SHIPPING = { optionId: "standard", name: "Standard", priceCents: 990, days: { min: 3, max: 7 }, weightGrams: 500 };
/** A shipping address every order a test places can use. */
export const TEST_ADDRESS = { name: "Ada Lovelace", line1: "12 St James Square", city: "London", postalCode: "SW1Y 4JH", country: "GB" };

/**
 * Starts a real broker with the shop's broker settings and the chosen services, on a fresh
 * data directory and (for the gateway) a free port. Environment variables apply while the
 * services are created, exactly as they would in a deployment, then are restored.
 */
export async function startShop(options: StartOptions = {}): Promise<TestShop> {
	const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "shop-test-"));
	// Real ports, not 0: the processor sandbox is told where the gateway takes its webhooks, and payments where the sandbox is.
	const env: Record<string, string> = {
		DATA_DIR: dataDir,
		PORT: String(await freePort()),
		PAYMENT_SANDBOX_PORT: String(await freePort()),
		PAYMENT_SANDBOX_DATA_DIR: path.join(dataDir, "payment-sandbox"),
		// Quick to answer and to retry, so tests of a lost or refused webhook wait seconds, not minutes.
		PAYMENT_SANDBOX_WEBHOOK_RETRY_MS: "200",
		PAYMENT_SANDBOX_REFUND_MS: "50",
		JWT_SECRET: TEST_JWT_SECRET,
		ADMIN_EMAIL: TEST_ADMIN.email,
		ADMIN_PASSWORD: TEST_ADMIN.password,
		AUTH_RATE_LIMIT_PER_MINUTE: "10000",
		...options.env,
	};
	const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
	Object.assign(process.env, env);

	let broker: ServiceBroker;
	let processor: TestShop["processor"];
	try {
		// The broker's settings come from the same variables, as under moleculer-runner.
		const config = loadConfig();
		processor = { url: config.payments.processorUrl, secretKey: config.payments.processorSecretKey };
		const brokerConfig = createBrokerConfig(config);
		broker = new ServiceBroker({
			...brokerConfig,
			nodeID: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
			logger: options.logs ? brokerConfig.logger : false,
		});
		for (const name of options.services ?? ALL_SERVICES) broker.createService(SCHEMAS[name]());
		for (const schema of options.extra ?? []) broker.createService(typeof schema === "function" ? schema() : schema);
		await broker.start();
	} finally {
		for (const [key, value] of Object.entries(saved)) {
			if (value === undefined) delete process.env[key];
			else process.env[key] = value;
		}
	}

	const api = broker.getLocalService("api") as unknown as { server?: Server } | undefined;
	const port = api?.server ? (api.server.address() as AddressInfo).port : 0;
	const stop = () => broker.stop();
	return {
		broker,
		dataDir,
		baseUrl: port ? `http://127.0.0.1:${port}/api` : "",
		processor,
		stop,
		async destroy() {
			if (broker.started) await stop();
			fs.rmSync(dataDir, { recursive: true, force: true });
		},
	};
}

export interface HttpResult<T = any> {
	status: number;
	body: T;
	headers: Headers;
}

/** A small HTTP client for the gateway: JSON in, JSON out, the bearer token when given. */
export function http(baseUrl: string) {
	async function send<T>(method: string, url: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
		const init: RequestInit = { method, headers: { ...headers } };
		if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
		if (body !== undefined) {
			(init.headers as Record<string, string>)["content-type"] ??= "application/json";
			init.body = typeof body === "string" ? body : JSON.stringify(body);
		}
		const res = await fetch(`${baseUrl}${url}`, init);
		const text = await res.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			// Left as text: the assertion will show what came back.
		}
		return { status: res.status, body: parsed as T, headers: res.headers };
	}
	return {
		get: <T = any>(url: string, token?: string, headers?: Record<string, string>) => send<T>("GET", url, undefined, token, headers),
		post: <T = any>(url: string, body?: unknown, token?: string, headers?: Record<string, string>) => send<T>("POST", url, body, token, headers),
		put: <T = any>(url: string, body?: unknown, token?: string) => send<T>("PUT", url, body, token),
		patch: <T = any>(url: string, body?: unknown, token?: string) => send<T>("PATCH", url, body, token),
		delete: <T = any>(url: string, token?: string) => send<T>("DELETE", url, undefined, token),
	};
}

/** Registers a customer and logs in; returns the token and the customer. */
export async function signUp(baseUrl: string, email: string, password = "correct-horse-battery", name = "Test Customer") {
	const client = http(baseUrl);
	const registered = await client.post("/auth/register", { email, password, name });
	if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
	const login = await client.post("/auth/login", { email, password });
	if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
	return { token: login.body.token as string, customer: login.body.customer };
}

export async function adminToken(baseUrl: string, credentials = TEST_ADMIN): Promise<string> {
	const login = await http(baseUrl).post("/auth/login", credentials);
	if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
	return login.body.token as string;
}

export interface ShopWithUsers {
	shop: TestShop;
	api: ReturnType<typeof http>;
	/** Bearer tokens of the admin and of a newly registered customer. */
	admin: string;
	customer: string;
	/** A seeded, active product. */
	productId: string;
}

export interface ShopWithUsersOptions extends StartOptions {
	/** A product the admin creates for the test, when its stock or price matter, instead of the first seeded one. */
	product?: { sku: string; name: string; category: string; priceCents: number; stock: number };
}

/** A whole shop with an admin's and a customer's token and a product to point at. */
export async function startShopWithUsers(customerEmail: string, options: ShopWithUsersOptions = {}): Promise<ShopWithUsers> {
	const { product, ...startOptions } = options;
	const shop = await startShop(startOptions);
	const api = http(shop.baseUrl);
	const customer = (await signUp(shop.baseUrl, customerEmail)).token;
	const admin = await adminToken(shop.baseUrl);
	const productId = product ? await createProduct(api, admin, product) : ((await api.get("/products?pageSize=1")).body.rows[0].id as string);
	return { shop, api, admin, customer, productId };
}

async function createProduct(api: ReturnType<typeof http>, admin: string, product: ShopWithUsersOptions["product"]): Promise<string> {
	const created = await api.post("/products", product, admin);
	if (created.status !== 201) throw new Error(`product not created: ${created.status} ${JSON.stringify(created.body)}`);
	return created.body.id as string;
}
