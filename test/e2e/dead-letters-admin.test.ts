import type { DeadLetter, RedriveResult } from "../../contracts";
import { REDRIVE_MAX_IDS } from "../../mixins/events/admin-actions";
import { EVENT_CONSUMERS } from "../../services/api/routes";
import { startMailServer, type MailServer } from "../helpers/mail";
import { freePort } from "../helpers/net";
import { startShopWithUsers, TEST_ADDRESS, type ShopWithUsers } from "../helpers/shop";
import { waitFor } from "../helpers/wait";

/*
 * The admin console's dead letters over HTTP: each consuming service's dead letters listed with
 * their error, and redriven once the cause is gone, all behind the admin role. The cause is real:
 * the mail server is not listening until the test starts one.
 */

describe("dead letters through the gateway", () => {
	let users: ShopWithUsers;
	let smtpPort: number;
	let mail: MailServer | undefined;

	beforeAll(async () => {
		smtpPort = await freePort();
		users = await startShopWithUsers("dead-letters-admin@example.com", {
			env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, EVENT_MAX_ATTEMPTS: "2", EVENT_RETRY_BASE_MS: "20", OUTBOX_RELAY_MS: "50" },
		});
	});
	afterAll(async () => {
		await users.shop.destroy();
		await mail?.close();
	});

	it("lists a service's dead letters with their error, and a redrive once the mail server is up handles them", async () => {
		const { api, admin } = users;
		const me = (await api.get("/me", users.customer)).body as { id: string; email: string };
		// A real order, confirmed: its confirmation email is what fails while the mail server is down.
		const order = await api.post("/orders", { items: [{ productId: users.productId, qty: 1 }], shippingAddress: TEST_ADDRESS }, users.customer);
		expect(order.status).toBe(201);

		const dead = await waitFor(
			async () => (await api.get<DeadLetter[]>("/admin/dead-letters/notifications", admin)).body,
			(rows) => Array.isArray(rows) && rows.length > 0,
		);
		expect(dead).toEqual([
			{
				id: expect.any(String),
				type: "order.confirmed",
				attempts: 2,
				lastError: expect.stringMatching(/ECONNREFUSED/),
				receivedAt: expect.any(String),
				correlationId: order.body.id,
			},
		]);
		// The other services have none.
		for (const service of EVENT_CONSUMERS.filter((name) => name !== "notifications")) {
			expect(await api.get(`/admin/dead-letters/${service}`, admin)).toMatchObject({ status: 200, body: [] });
		}

		// Still down: a redrive fails again and the letter stays, with the new error.
		const again = await api.post<RedriveResult[]>("/admin/dead-letters/notifications/redrive", { ids: [dead[0]!.id] }, admin);
		expect(again.status).toBe(200);
		expect(again.body).toEqual([{ id: dead[0]!.id, status: "DEAD", lastError: expect.stringMatching(/ECONNREFUSED/) }]);

		mail = await startMailServer(smtpPort);

		const redriven = await api.post<RedriveResult[]>("/admin/dead-letters/notifications/redrive", {}, admin);
		expect(redriven).toMatchObject({ status: 200, body: [{ id: dead[0]!.id, status: "DONE" }] });
		expect(mail.delivered).toEqual([me.email]);
		expect((await api.get("/admin/dead-letters/notifications", admin)).body).toEqual([]);
		expect((await api.post("/admin/dead-letters/notifications/redrive", {}, admin)).body).toEqual([]);
	});

	it("refuses ids that are not a bounded list of strings with 422", async () => {
		const { api, admin } = users;
		for (const body of [
			{ ids: "evt-1" },
			{ ids: [1] },
			{ ids: [""] },
			{ ids: Array.from({ length: REDRIVE_MAX_IDS + 1 }, (_, i) => `e${i}`) },
			{ ids: ["x".repeat(65)] },
			{ other: true },
		]) {
			const res = await api.post("/admin/dead-letters/catalogue/redrive", body, admin);
			expect({ status: res.status, type: res.body.error?.type }).toEqual({ status: 422, type: "VALIDATION_ERROR" });
		}
	});

	it("is for admins: a customer gets 403 and no token 401, for every service", async () => {
		const { api, customer } = users;
		for (const service of EVENT_CONSUMERS) {
			for (const [method, path] of [
				["GET", `/admin/dead-letters/${service}`],
				["POST", `/admin/dead-letters/${service}/redrive`],
			] as const) {
				const asCustomer = method === "GET" ? await api.get(path, customer) : await api.post(path, {}, customer);
				expect({ path, status: asCustomer.status, type: asCustomer.body.error?.type }).toEqual({ path, status: 403, type: "ROLE_FORBIDDEN" });
				const anonymous = method === "GET" ? await api.get(path) : await api.post(path, {});
				expect({ path, status: anonymous.status }).toEqual({ path, status: 401 });
			}
		}
	});
});
