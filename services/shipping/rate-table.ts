import type { RateTable } from "./rates";

/*
 * The shop's built-in rate table: what shipping costs, by zone and weight, in each currency the
 * shop prices in. SHIPPING_RATES_FILE replaces it with a JSON file of the same shape (checked at
 * start; docs/shipping.md). A country in no zone is not shipped to (Antarctica, for one); an
 * option without a rate for a zone, or for the order's currency, does not reach it.
 */

const EUROPE = [
	"AT",
	"BE",
	"BG",
	"CH",
	"CY",
	"CZ",
	"DK",
	"EE",
	"ES",
	"FI",
	"FR",
	"GB",
	"GR",
	"HR",
	"HU",
	"IE",
	"IS",
	"IT",
	"LI",
	"LT",
	"LU",
	"LV",
	"MT",
	"NL",
	"NO",
	"PL",
	"PT",
	"RO",
	"SE",
	"SI",
	"SK",
];
const WORLD = ["AU", "BR", "CA", "CN", "IN", "JP", "KR", "MX", "NZ", "SG", "US", "ZA"];

/** Up to 1 kg, 5 kg, 20 kg and 31.5 kg (a parcel carrier's limit); heavier goes by freight, which the shop does not offer. */
const bands = (eur: number[], usd: number[], gbp: number[]) =>
	[1000, 5000, 20000, 31500].map((upToGrams, i) => ({ upToGrams, prices: { EUR: eur[i]!, USD: usd[i]!, GBP: gbp[i]! } }));

export const DEFAULT_RATE_TABLE: RateTable = {
	zones: { domestic: ["DE"], europe: EUROPE, world: WORLD },
	options: [
		{
			id: "standard",
			name: "Standard",
			rates: {
				domestic: { days: { min: 2, max: 4 }, bands: bands([490, 690, 1090, 1590], [550, 790, 1250, 1790], [420, 590, 940, 1370]) },
				europe: { days: { min: 3, max: 7 }, bands: bands([990, 1490, 2990, 4490], [1090, 1690, 3290, 4990], [850, 1290, 2590, 3890]) },
				world: { days: { min: 6, max: 14 }, bands: bands([1990, 3490, 6990, 9990], [2190, 3790, 7590, 10990], [1690, 2990, 5990, 8590]) },
			},
		},
		{
			id: "express",
			name: "Express",
			rates: {
				domestic: { days: { min: 1, max: 1 }, bands: bands([990, 1290, 1990, 2990], [1090, 1390, 2190, 3290], [850, 1090, 1690, 2590]) },
				europe: { days: { min: 1, max: 3 }, bands: bands([2490, 3490, 5990, 8990], [2690, 3790, 6490, 9790], [2150, 2990, 5190, 7790]) },
			},
			// Islands the express courier does not fly to: North and Baltic Sea islands, the Scottish isles.
			excludedPostalCodes: {
				DE: [
					"18565",
					"25845",
					"25849",
					"25859",
					"25863",
					"25869",
					"25938",
					"25946",
					"26465",
					"26474",
					"26486",
					"26548",
					"26571",
					"26579",
					"26757",
					"27498",
				],
				GB: ["HS", "ZE", "KW15", "KW16", "KW17"],
			},
		},
	],
};
