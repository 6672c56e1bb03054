import fs from "node:fs";
import path from "node:path";
import type { Customer, LoginResult } from "../../contracts";
import { startShop, TEST_ADMIN, type TestShop } from "../helpers/shop";

describe("customers", () => {
	let shop: TestShop;
	beforeAll(async () => {
		shop = await startShop({ services: ["customers"] });
	});
	afterAll(() => shop.destroy());

	describe("customers.register", () => {
		it("stores only a salted scrypt hash, never the password itself", async () => {
			const password = "plain-text-never-stored";
			const customer = await shop.broker.call<Customer, object>("customers.register", { email: "hash@example.com", password, name: "H" });
			expect(customer).not.toHaveProperty("passwordHash");
			const file = fs.readFileSync(path.join(shop.dataDir, "customers", "customers.db"), "utf8");
			expect(file).not.toContain(password);
			const stored = file
				.split("\n")
				.filter(Boolean)
				.map((line) => JSON.parse(line))
				.find((doc) => doc._id === customer.id);
			expect(stored.passwordHash).toMatch(/^scrypt\$17\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
		});

		it("gives every registration the customer role", async () => {
			const customer = await shop.broker.call<Customer, object>("customers.register", {
				email: "role@example.com",
				password: "long-enough-pw",
				name: "R",
			});
			expect(customer.role).toBe("customer");
		});
	});

	describe("admin account", () => {
		it("is created from ADMIN_EMAIL and ADMIN_PASSWORD and logs in as admin", async () => {
			const login = await shop.broker.call<LoginResult, object>("customers.login", TEST_ADMIN);
			expect(login.customer.role).toBe("admin");
		});

		it("takes a changed ADMIN_PASSWORD at the next start", async () => {
			await shop.stop();
			shop = await startShop({ services: ["customers"], dataDir: shop.dataDir, env: { ADMIN_PASSWORD: "a-new-admin-password" } });
			await expect(shop.broker.call("customers.login", TEST_ADMIN)).rejects.toMatchObject({ code: 401 });
			const login = await shop.broker.call<LoginResult, object>("customers.login", { email: TEST_ADMIN.email, password: "a-new-admin-password" });
			expect(login.customer.role).toBe("admin");
			// Customers registered before the restart are still there.
			await expect(shop.broker.call("customers.login", { email: "role@example.com", password: "long-enough-pw" })).resolves.toBeDefined();
		});
	});
});

describe("start-up configuration", () => {
	it("refuses to start in production with a JWT secret shorter than 32 bytes", async () => {
		await expect(startShop({ services: ["customers"], env: { NODE_ENV: "production", JWT_SECRET: "too-short" } })).rejects.toThrow(
			/JWT_SECRET must be at least 32 bytes/,
		);
	});
});
