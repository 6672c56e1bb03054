import type { Address } from "../../contracts";
import { customerQuery, newCustomer, normalizeEmail, profileChanges, toCustomer, type CustomerDoc } from "./customer";
import { matchesText, textPatterns } from "../../test/helpers/text-filter";

const NOW = new Date("2030-02-03T04:05:06.007Z");

const ADDRESS: Address = {
	label: "home",
	name: "Ada Lovelace",
	line1: "1 Analytical Way",
	city: "London",
	postalCode: "N1 1AA",
	country: "gb",
};

describe("normalizeEmail", () => {
	it("trims and lower-cases the address", () => {
		expect(normalizeEmail("  Ada.Lovelace@Example.COM ")).toBe("ada.lovelace@example.com");
	});
});

describe("toCustomer", () => {
	const doc: CustomerDoc = {
		_id: "c1",
		email: "ada@example.com",
		name: "Ada",
		role: "customer",
		passwordHash: "scrypt$17$8$1$salt$hash",
		addresses: [ADDRESS],
		createdAt: "2030-01-01T00:00:00.000Z",
		updatedAt: "2030-01-02T00:00:00.000Z",
	};

	it("returns the public fields with _id renamed to id", () => {
		expect(toCustomer(doc)).toEqual({
			id: "c1",
			email: "ada@example.com",
			name: "Ada",
			role: "customer",
			addresses: [ADDRESS],
			createdAt: "2030-01-01T00:00:00.000Z",
			updatedAt: "2030-01-02T00:00:00.000Z",
		});
	});

	it("never includes the password hash", () => {
		const customer = toCustomer({ ...doc, secretField: "x" });
		expect(customer).not.toHaveProperty("passwordHash");
		expect(customer).not.toHaveProperty("secretField");
		expect(JSON.stringify(customer)).not.toContain("scrypt$");
	});
});

describe("newCustomer", () => {
	it("normalizes the email, trims the name and starts with no addresses", () => {
		expect(newCustomer({ email: " Ada@Example.com ", name: "  Ada Lovelace ", role: "admin" }, "c9", "hash", NOW)).toEqual({
			_id: "c9",
			email: "ada@example.com",
			name: "Ada Lovelace",
			role: "admin",
			passwordHash: "hash",
			addresses: [],
			createdAt: "2030-02-03T04:05:06.007Z",
			updatedAt: "2030-02-03T04:05:06.007Z",
		});
	});
});

describe("profileChanges", () => {
	it("only stamps updatedAt when nothing is given", () => {
		expect(profileChanges({}, NOW)).toEqual({ updatedAt: NOW.toISOString() });
	});

	it("trims the name", () => {
		expect(profileChanges({ name: "  Ada  " }, NOW)).toEqual({ name: "Ada", updatedAt: NOW.toISOString() });
	});

	it("upper-cases each address's country and keeps the other address fields", () => {
		const second: Address = { name: "Ada", line1: "2 Rue", line2: "Apt 3", city: "Paris", postalCode: "75001", country: "Fr" };
		expect(profileChanges({ addresses: [ADDRESS, second] }, NOW)).toEqual({
			addresses: [
				{ ...ADDRESS, country: "GB" },
				{ ...second, country: "FR" },
			],
			updatedAt: NOW.toISOString(),
		});
	});

	it("does not change the addresses it is given", () => {
		const addresses = [{ ...ADDRESS }];
		profileChanges({ addresses }, NOW);
		expect(addresses[0].country).toBe("gb");
	});

	it("clears the addresses when given an empty list", () => {
		expect(profileChanges({ addresses: [] }, NOW)).toEqual({ addresses: [], updatedAt: NOW.toISOString() });
	});

	it("ignores every field other than name and addresses", () => {
		const params = { name: "Ada", email: "evil@example.com", role: "admin", passwordHash: "x", _id: "other" };
		expect(profileChanges(params as Parameters<typeof profileChanges>[0], NOW)).toEqual({
			name: "Ada",
			updatedAt: NOW.toISOString(),
		});
	});
});

describe("customerQuery", () => {
	it("matches everyone without a search", () => {
		expect(customerQuery(undefined)).toEqual({});
		expect(customerQuery("")).toEqual({});
		expect(customerQuery("   ")).toEqual({});
	});

	it("searches email and name case-insensitively for the trimmed text", () => {
		const query = customerQuery("  ADA ");
		const or = query.$or as Array<Record<string, RegExp>>;
		expect(or.map((clause) => Object.keys(clause))).toEqual([["email"], ["name"]]);
		for (const pattern of textPatterns(query)) {
			expect(pattern.source).toBe("ADA");
			expect(pattern.flags).toBe("i");
		}
		expect(matchesText(query, { email: "ada@example.com", name: "x" })).toBe(true);
		expect(matchesText(query, { email: "x@example.com", name: "Lady Ada" })).toBe(true);
		expect(matchesText(query, { email: "bob@example.com", name: "Bob" })).toBe(false);
	});

	it("treats regular expression characters literally", () => {
		expect(() => customerQuery("a+(")).not.toThrow();
		const query = customerQuery("a.b@x");
		expect(matchesText(query, { email: "a.b@x.com", name: "" })).toBe(true);
		expect(matchesText(query, { email: "axb@x.com", name: "" })).toBe(false);
	});
});
