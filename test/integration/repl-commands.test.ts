import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import repl, { type REPLServer } from "node:repl";
import { PassThrough } from "node:stream";
import type { Order } from "../../contracts";
import { dlqCommand, redriveCommand, sagaCommand, stuckCommand } from "../../lib/repl-commands";
import type { Collection } from "../../mixins/store.mixin";
import { newOrder, type OrderDoc } from "../../services/orders/order";
import { startMailServer, type MailServer } from "../helpers/mail";
import { freePort } from "../helpers/net";
import { http, signUp, startShop, type TestShop, TEST_ADDRESS, TEST_SHIPPING } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * The operator's REPL commands against a running shop whose mail server is down at first, so
 * every order's email becomes a dead letter; then once through moleculer-repl itself, as typed
 * at its prompt.
 */

const address = TEST_ADDRESS;
const TWO_HOURS_MS = 2 * 3600 * 1000;

/** The SERVICE STATUS pairs of the saga table's rows, in its order. */
function steps(text: string): string[] {
	return [...text.matchAll(/^\S+Z\s+\+\d+\.\d{3}s\s+(\w+)\s+(\w+)\s/gm)].map((match) => `${match[1]} ${match[2]}`);
}

describe("the REPL commands", () => {
	let shop: TestShop;
	let smtpPort: number;
	let mail: MailServer | undefined;
	let order: Order;
	let stuckId: string;
	let unshippedId: string;

	beforeAll(async () => {
		smtpPort = await freePort();
		shop = await startShop({
			env: {
				SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
				EVENT_MAX_ATTEMPTS: "3",
				EVENT_RETRY_BASE_MS: "20",
				OUTBOX_RELAY_MS: "100",
				SAGA_STEP_TIMEOUT_MS: "30000",
			},
		});
		const api = http(shop.baseUrl);
		const customer = await signUp(shop.baseUrl, "repl@example.com");
		const productId = (await api.get("/products?pageSize=1")).body.rows[0].id as string;
		order = (await api.post("/orders", { items: [{ productId, qty: 1 }], shippingAddress: address }, customer.token)).body as Order;
		await waitFor(
			async () => (await api.get(`/orders/${order.id}`, customer.token)).body.status as string,
			(status) => status === "CONFIRMED",
		);

		// A saga cannot be made to stall on demand: an order stuck in PENDING for two hours is written
		// straight into the orders store, as a crashed saga would have left it.
		const orders = (shop.broker.getLocalService("orders") as unknown as { collections: { orders: Collection<OrderDoc> } }).collections.orders;
		const priced = {
			items: [{ productId, sku: "STUCK", name: "Stuck", unitPriceCents: 100, qty: 1, lineTotalCents: 100 }],
			goodsCents: 100,
			weightGrams: 500,
			currency: "EUR",
		};
		const stuck = newOrder(
			{ customerId: customer.customer.id, shippingAddress: address, paymentMethod: "tok_visa", shipping: TEST_SHIPPING },
			priced,
			"order-stuck-repl",
			new Date(Date.now() - TWO_HOURS_MS),
			3 * TWO_HOURS_MS,
		);
		await orders.insert(stuck);
		stuckId = stuck._id;
		// And one stalled on the shipping step: paid, its parcel never booked.
		const unshipped = newOrder(
			{ customerId: customer.customer.id, shippingAddress: address, paymentMethod: "tok_visa", shipping: TEST_SHIPPING },
			priced,
			"order-unshipped-repl",
			new Date(Date.now() - TWO_HOURS_MS / 2),
			3 * TWO_HOURS_MS,
		);
		await orders.insert({ ...unshipped, status: "AWAITING_SHIPMENT" });
		unshippedId = unshipped._id;
	});
	afterAll(async () => {
		await shop.destroy();
		await mail?.close();
	});

	it("saga prints the order's timeline as a table, oldest first", async () => {
		const text = await sagaCommand(shop.broker, order.id);
		expect(text.split("\n")[0]).toBe(`Order ${order.id} of customer ${order.customerId}: CONFIRMED`);
		expect(text).toMatch(/^AT\s+SINCE\s+SERVICE\s+STATUS\s+REASON\s+WHAT$/m);
		const found = steps(text);
		const story = ["orders PENDING", "catalogue RESERVED", "payments SETTLED", "orders AWAITING_SHIPMENT", "shipping LABELLED", "orders CONFIRMED"];
		expect(found.filter((step) => story.includes(step))).toEqual(story);
		expect(text).toMatch(/payments\s+SETTLED\s+PROCESSOR_SUCCEEDED\s+payment charged \(amountCents=\d+, currency=EUR, providerRef=\S+\)/);
		expect(text).not.toContain("Missing");
	});

	it("saga says so for an order that does not exist", async () => {
		expect(await sagaCommand(shop.broker, "no-such-order")).toBe("No order no-such-order.");
	});

	it("stuck lists the orders in their saga, at any step, placed more than the seconds given ago, with their status and age", async () => {
		const text = await stuckCommand(shop.broker, 60);
		expect(text.split("\n")[0]).toBe("2 order(s) in their saga for more than 60s:");
		// Goods 1.00 and shipping 9.90.
		expect(text).toMatch(new RegExp(`^${stuckId}\\s+PENDING\\s+\\S+\\s+\\S+Z\\s+2h 0m\\s+1090 EUR$`, "m"));
		expect(text).toMatch(new RegExp(`^${unshippedId}\\s+AWAITING_SHIPMENT\\s+\\S+\\s+\\S+Z\\s+1h 0m\\s+1090 EUR$`, "m"));
		expect(text).not.toContain(order.id);
		expect((await stuckCommand(shop.broker, 5400)).split("\n")[0]).toBe("1 order(s) in their saga for more than 5400s:");
		expect(await stuckCommand(shop.broker, 3 * 3600)).toBe("No order has been in its saga for more than 10800s.");
	});

	it("dlq lists every service's dead letters with the order and the last error", async () => {
		const text = await waitFor(
			() => dlqCommand(shop.broker),
			(listed) => listed.includes(order.id),
		);
		expect(text).toMatch(/^SERVICE\s+EVENT\s+ORDER\s+ATTEMPTS\s+RECEIVED\s+EVENT ID\s+LAST ERROR$/m);
		expect(text).toMatch(new RegExp(`^notifications\\s+order\\.confirmed\\s+${order.id}\\s+3\\s+\\S+Z\\s+\\S+\\s+.*ECONNREFUSED`, "m"));
	});

	it("redrive names the services that keep dead letters when given another", async () => {
		const text = await redriveCommand(shop.broker, "api");
		expect(text).toMatch(/^api is not a service that keeps dead letters; these do: .*notifications.*\.$/);
		expect(text).toContain("orders");
	});

	it("redrive hands a service's dead letters to their handlers once more, and dlq then finds none", async () => {
		mail = await startMailServer(smtpPort);
		const text = await redriveCommand(shop.broker, "notifications");
		expect(text.split("\n")[0]).toBe("notifications: 1 redriven, 1 handled, 0 failed again.");
		expect(text).toMatch(/^\S+\s+DONE$/m);
		expect(await dlqCommand(shop.broker)).toMatch(/^No dead letters in .*notifications.*\.$/);
		expect(await redriveCommand(shop.broker, "notifications")).toBe("notifications has no dead letters.");
	});

	describe("typed at moleculer-repl's prompt", () => {
		const input = new PassThrough();
		const output = new PassThrough();
		let shown = "";
		let printed: string[] = [];
		let server: REPLServer;
		let home: string;
		const savedHome = process.env.HOME;

		/** Types a line and waits for the prompt that follows its command's end; what the command printed. */
		async function type(line: string): Promise<string> {
			const prompts = () => shown.split("mol $ ").length;
			const before = prompts();
			printed = [];
			input.write(`${line}\n`);
			await waitFor(
				() => Promise.resolve(prompts()),
				(count) => count > before,
				10_000,
				20,
			);
			return printed.join("\n");
		}

		beforeAll(() => {
			// moleculer-repl starts Node's REPL on the process's console; this one reads and writes streams.
			const start = repl.start;
			jest.spyOn(repl, "start").mockImplementation((options) => start({ ...(options as repl.ReplOptions), input, output, terminal: false }));
			jest.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
				printed.push(args.map(String).join(" "));
			});
			// The REPL keeps its history in the home directory.
			home = fs.mkdtempSync(path.join(os.tmpdir(), "repl-home-"));
			process.env.HOME = home;
			output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
			server = shop.broker.repl() as unknown as REPLServer;
		});
		afterAll(() => {
			// Its exit handler would stop the broker and end the process.
			server.removeAllListeners("exit");
			server.close();
			jest.restoreAllMocks();
			process.env.HOME = savedHome;
			fs.rmSync(home, { recursive: true, force: true });
		});

		it("runs the shop's commands from the broker's options", async () => {
			expect(await type("stuck 60")).toContain(stuckId);
			expect(await type(`saga ${order.id}`)).toContain(`Order ${order.id} of customer ${order.customerId}: CONFIRMED`);
			expect(await type("stuck soon")).toBe("stuck takes a whole number of seconds, at least 1: stuck 60");
			expect(await type("dlq")).toMatch(/^No dead letters in /);
		});
	});
});
