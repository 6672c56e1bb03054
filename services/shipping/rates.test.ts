import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_RATE_TABLE } from "./rate-table";
import { chooseOption, loadRateTable, noOption, rateTableProblems, RateTableError, shippingOptions, type RateTable } from "./rates";

const TABLE: RateTable = {
	zones: { home: ["DE"], near: ["FR", "GB"] },
	options: [
		{
			id: "standard",
			name: "Standard",
			rates: {
				home: {
					days: { min: 2, max: 4 },
					bands: [
						{ upToGrams: 1000, prices: { EUR: 490 } },
						{ upToGrams: 5000, prices: { EUR: 690, USD: 790 } },
					],
				},
				near: { days: { min: 3, max: 7 }, bands: [{ upToGrams: 5000, prices: { EUR: 990 } }] },
			},
		},
		{
			id: "express",
			name: "Express",
			rates: {
				home: {
					days: { min: 1, max: 1 },
					bands: [
						{ upToGrams: 1000, prices: { EUR: 990 } },
						{ upToGrams: 5000, prices: { EUR: 1290 } },
					],
				},
			},
			excludedPostalCodes: { DE: ["18565", "25 9"] },
		},
	],
};

const parcel = (weightGrams: number, country = "DE", postalCode = "10115", currency = "EUR") => ({
	weightGrams,
	currency,
	destination: { country, postalCode },
});
const ids = (options: { id: string }[]) => options.map((option) => option.id);

describe("shippingOptions", () => {
	it.each<[string, ReturnType<typeof parcel>, string[]]>([
		["both options at home, cheapest first, priced by the first band that holds the weight", parcel(800), ["standard:490", "express:990"]],
		["a band's upper bound is included", parcel(1000), ["standard:490", "express:990"]],
		["one gram over it takes the next band", parcel(1001), ["standard:690", "express:1290"]],
		["heavier than every band: no option", parcel(5001), []],
		["a zone an option has no rate for is not reached by it", parcel(800, "FR"), ["standard:990"]],
		["the country's code in any case", parcel(800, "fr"), ["standard:990"]],
		["a country in no zone: no option", parcel(800, "AQ"), []],
		["an excluded postal code prefix is not reached", parcel(800, "DE", "18565"), ["standard:490"]],
		["prefixes compare without spaces and case", parcel(800, "DE", "25938"), ["standard:490"]],
		["a currency a band has no price in is not offered", parcel(800, "DE", "10115", "USD"), []],
		["another band may price it", parcel(2000, "DE", "10115", "USD"), ["standard:790"]],
	])("%s", (_name, given, expected) => {
		expect(ids(shippingOptions(TABLE, given))).toEqual(expected);
	});

	it("answers the option's name, price, currency and delivery days", () => {
		expect(shippingOptions(TABLE, parcel(800, "GB", "SW1Y 4JH"))).toEqual([
			{ id: "standard:990", optionId: "standard", name: "Standard", priceCents: 990, currency: "EUR", days: { min: 3, max: 7 } },
		]);
	});
});

describe("chooseOption", () => {
	const options = shippingOptions(TABLE, parcel(800));

	it.each<[string, string | undefined, string]>([
		["the cheapest without a choice", undefined, "standard:490"],
		["the option named bare, at today's price", "express", "express:990"],
		["the option quoted, at the price quoted", "express:990", "express:990"],
	])("ships %s", (_name, requested, expected) => {
		expect(chooseOption(TABLE, options, requested)).toMatchObject({ id: expected });
	});

	it("answers NONE when nothing reaches the parcel and nothing was asked for", () => {
		expect(chooseOption(TABLE, [], undefined)).toBe("NONE");
	});

	it.each<[string, string, object]>([
		[
			"a price that changed since the quote: 409 SHIPPING_PRICE_CHANGED with both prices",
			"express:950",
			{ code: 409, type: "SHIPPING_PRICE_CHANGED", data: { shippingOptionId: "express:950", quotedCents: 950, priceCents: 990, current: "express:990" } },
		],
		[
			"an option that no longer reaches the address: 409 SHIPPING_OPTION_UNAVAILABLE naming it",
			"express",
			{ code: 409, type: "SHIPPING_OPTION_UNAVAILABLE", data: { shippingOptionId: "express", available: ["standard:990"] } },
		],
		[
			"an option the table has never had: 422 UNKNOWN_SHIPPING_OPTION",
			"pigeon",
			{ code: 422, type: "UNKNOWN_SHIPPING_OPTION", data: { shippingOptionId: "pigeon", options: ["standard", "express"] } },
		],
	])("refuses %s", (_name, requested, expected) => {
		const reaching = requested === "express" ? shippingOptions(TABLE, parcel(800, "GB")) : options;
		expect(() => chooseOption(TABLE, reaching, requested)).toThrow(expect.objectContaining(expected));
	});
});

describe("noOption", () => {
	it("says the shop does not ship to a country in no zone", () => {
		expect(noOption(TABLE, parcel(800, "aq"))).toMatchObject({
			code: 422,
			type: "NO_SHIPPING_OPTION",
			data: { reason: "DESTINATION_NOT_SERVED", country: "AQ" },
		});
	});

	it("says no option carries a parcel to a country it serves", () => {
		expect(noOption(TABLE, parcel(9000))).toMatchObject({ code: 422, type: "NO_SHIPPING_OPTION", data: { reason: "NOT_CARRIED", weightGrams: 9000 } });
	});
});

describe("the built-in rate table", () => {
	it("is valid", () => {
		expect(rateTableProblems(DEFAULT_RATE_TABLE)).toEqual([]);
	});

	it("offers standard and express at home and in Europe, standard only overseas, and nothing to a country it does not serve", () => {
		expect(shippingOptions(DEFAULT_RATE_TABLE, parcel(1500)).map((option) => option.optionId)).toEqual(["standard", "express"]);
		expect(shippingOptions(DEFAULT_RATE_TABLE, parcel(1500, "GB", "SW1Y 4JH")).map((option) => option.optionId)).toEqual(["standard", "express"]);
		expect(shippingOptions(DEFAULT_RATE_TABLE, parcel(1500, "US", "10001")).map((option) => option.optionId)).toEqual(["standard"]);
		expect(shippingOptions(DEFAULT_RATE_TABLE, parcel(1500, "AQ", "1"))).toEqual([]);
	});

	it("prices every band of every zone in euros, dollars and pounds", () => {
		for (const option of DEFAULT_RATE_TABLE.options) {
			for (const rate of Object.values(option.rates))
				for (const band of rate.bands) expect(Object.keys(band.prices).sort()).toEqual(["EUR", "GBP", "USD"]);
		}
	});
});

describe("rateTableProblems", () => {
	it.each<[string, unknown, string]>([
		["not an object", [], "zones must be an object"],
		["no options", { zones: {}, options: [] }, "options must be a non-empty array"],
		["a country in two zones", { ...TABLE, zones: { home: ["DE"], near: ["DE"] } }, "DE is in zones home and near"],
		["a lower-case country", { ...TABLE, zones: { home: ["de"] } }, "zone home: countries"],
		[
			"a rate for a zone that does not exist",
			{ ...TABLE, options: [{ ...TABLE.options[0], rates: { moon: TABLE.options[0]!.rates.home } }] },
			"rates.moon: no such zone",
		],
		[
			"bands not rising",
			{
				...TABLE,
				options: [
					{
						id: "s",
						name: "S",
						rates: {
							home: {
								days: { min: 1, max: 2 },
								bands: [
									{ upToGrams: 500, prices: { EUR: 1 } },
									{ upToGrams: 500, prices: { EUR: 2 } },
								],
							},
						},
					},
				],
			},
			"bands[1].upToGrams",
		],
		[
			"a price in euros, not cents",
			{ ...TABLE, options: [{ id: "s", name: "S", rates: { home: { days: { min: 1, max: 2 }, bands: [{ upToGrams: 500, prices: { EUR: 4.9 } }] } } }] },
			"prices: currency",
		],
		[
			"fewer days at most than at least",
			{ ...TABLE, options: [{ id: "s", name: "S", rates: { home: { days: { min: 3, max: 2 }, bands: [{ upToGrams: 500, prices: { EUR: 1 } }] } } }] },
			"days: min <= max",
		],
		["an option twice", { ...TABLE, options: [TABLE.options[0], TABLE.options[0]] }, "standard twice"],
	])("finds %s", (_name, table, problem) => {
		expect(rateTableProblems(table).join("\n")).toContain(problem);
	});
});

describe("loadRateTable", () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rates-"));
	afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
	const file = (name: string, content: string) => {
		const target = path.join(dir, name);
		fs.writeFileSync(target, content);
		return target;
	};

	it("takes the built-in table when no file is named", () => {
		expect(loadRateTable(undefined, DEFAULT_RATE_TABLE)).toBe(DEFAULT_RATE_TABLE);
	});

	it("takes a valid file instead", () => {
		expect(loadRateTable(file("ok.json", JSON.stringify(TABLE)), DEFAULT_RATE_TABLE)).toEqual(TABLE);
	});

	it("stops the start on a file that is not JSON, or not a valid table, naming the file and every problem", () => {
		expect(() => loadRateTable(file("broken.json", "{ zones:"), DEFAULT_RATE_TABLE)).toThrow(RateTableError);
		expect(() => loadRateTable(file("bad.json", JSON.stringify({ zones: { home: ["de"] }, options: [] })), DEFAULT_RATE_TABLE)).toThrow(
			/bad\.json:\n {2}- zone home: countries[^\n]*\n {2}- options must be a non-empty array/,
		);
	});
});
