import fs from "node:fs";
import type { Destination, ShippingOption } from "../../contracts";
import { ConflictError, UnprocessableError } from "../../lib/errors";

/*
 * Shipping's prices as pure functions of the rate table: which options reach a destination, what
 * each costs for a parcel's weight in the order's currency, and which one an order ships with.
 */

export interface RateBand {
	/** The heaviest parcel (grams) this band prices. */
	upToGrams: number;
	/** Cents by currency (ISO 4217); a currency left out is not offered. */
	prices: Record<string, number>;
}

export interface ZoneRate {
	days: { min: number; max: number };
	/** Lightest first. A parcel heavier than the last band is not carried this way. */
	bands: RateBand[];
}

export interface RateOption {
	id: string;
	name: string;
	/** By zone; a zone left out is not reached by this option. */
	rates: Record<string, ZoneRate>;
	/** By country: postal code prefixes this option does not reach (islands, remote areas). */
	excludedPostalCodes?: Record<string, string[]>;
}

export interface RateTable {
	/** Zone → its countries (ISO 3166-1 alpha-2). A country in no zone is not shipped to. */
	zones: Record<string, string[]>;
	/** Offered in this order when prices tie. */
	options: RateOption[];
}

/** A quoted option's id: the option and the price it was quoted at. */
export function quotedId(optionId: string, priceCents: number): string {
	return `${optionId}:${priceCents}`;
}

function normalised(postalCode: string): string {
	return postalCode.replace(/\s+/g, "").toUpperCase();
}

function zoneOf(table: RateTable, country: string): string | undefined {
	return Object.keys(table.zones).find((zone) => table.zones[zone]!.includes(country));
}

/** Why no option reaches a parcel: the country is in no zone, or no option's rates cover it. */
export type Unreached = "DESTINATION_NOT_SERVED" | "NOT_CARRIED";

/** The options that reach `destination` for a parcel of `weightGrams` priced in `currency`, cheapest first. */
export function shippingOptions(table: RateTable, parcel: { weightGrams: number; currency: string; destination: Destination }): ShippingOption[] {
	const country = parcel.destination.country.toUpperCase();
	const zone = zoneOf(table, country);
	if (!zone) return [];
	const postalCode = normalised(parcel.destination.postalCode);
	const options: ShippingOption[] = [];
	for (const option of table.options) {
		const rate = option.rates[zone];
		if (!rate) continue;
		if ((option.excludedPostalCodes?.[country] ?? []).some((prefix) => postalCode.startsWith(normalised(prefix)))) continue;
		const priceCents = rate.bands.find((band) => parcel.weightGrams <= band.upToGrams)?.prices[parcel.currency];
		if (priceCents === undefined) continue;
		options.push({ id: quotedId(option.id, priceCents), optionId: option.id, name: option.name, priceCents, currency: parcel.currency, days: rate.days });
	}
	// A stable sort: ties keep the table's order.
	return options.sort((a, b) => a.priceCents - b.priceCents);
}

/** The 422 for a parcel no option reaches, saying whether it is the destination or the parcel. */
export function noOption(table: RateTable, parcel: { weightGrams: number; currency: string; destination: Destination }): UnprocessableError {
	const country = parcel.destination.country.toUpperCase();
	const reason: Unreached = zoneOf(table, country) ? "NOT_CARRIED" : "DESTINATION_NOT_SERVED";
	const message =
		reason === "DESTINATION_NOT_SERVED"
			? `The shop does not ship to ${country}`
			: `No shipping option carries ${parcel.weightGrams} g in ${parcel.currency} to ${country} ${parcel.destination.postalCode}`;
	return new UnprocessableError("NO_SHIPPING_OPTION", message, {
		reason,
		country,
		postalCode: parcel.destination.postalCode,
		weightGrams: parcel.weightGrams,
	});
}

/**
 * The option an order ships with: the cheapest without a choice; the one named, at today's price;
 * or the one quoted, only while its price is still the quoted one.
 */
export function chooseOption(table: RateTable, options: ShippingOption[], requested: string | undefined): ShippingOption | "NONE" {
	if (requested === undefined) return options[0] ?? "NONE";
	const [optionId, quoted] = requested.split(":");
	if (!table.options.some((option) => option.id === optionId)) {
		throw new UnprocessableError("UNKNOWN_SHIPPING_OPTION", `There is no shipping option ${optionId}`, {
			shippingOptionId: requested,
			options: table.options.map((option) => option.id),
		});
	}
	const option = options.find((candidate) => candidate.optionId === optionId);
	if (!option) {
		throw new ConflictError("SHIPPING_OPTION_UNAVAILABLE", `Shipping option ${optionId} does not reach this address for these items; ask for a new quote`, {
			shippingOptionId: requested,
			available: options.map((candidate) => candidate.id),
		});
	}
	if (quoted !== undefined && Number(quoted) !== option.priceCents) {
		throw new ConflictError(
			"SHIPPING_PRICE_CHANGED",
			`Shipping option ${optionId} now costs ${option.priceCents} cents, not ${quoted}; ask for a new quote`,
			{
				shippingOptionId: requested,
				quotedCents: Number(quoted),
				priceCents: option.priceCents,
				current: option.id,
			},
		);
	}
	return option;
}

const ID = /^[a-z][a-z0-9-]{0,31}$/;
const CURRENCY = /^[A-Z]{3}$/;
const COUNTRY = /^[A-Z]{2}$/;
const isCents = (value: unknown) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 1_000_000_00;
const isDays = (value: unknown) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 365;

/** Every problem of a rate table (JSON from SHIPPING_RATES_FILE), so a bad file fails the start with all of them. */
export function rateTableProblems(table: unknown): string[] {
	const problems: string[] = [];
	const t = table as Partial<RateTable> | null;
	if (typeof t !== "object" || t === null) return ["the rate table must be a JSON object with zones and options"];
	if (typeof t.zones !== "object" || t.zones === null || Array.isArray(t.zones)) problems.push("zones must be an object of zone -> countries");
	const zones = t.zones && typeof t.zones === "object" ? t.zones : {};
	const seen = new Map<string, string>();
	for (const [zone, countries] of Object.entries(zones)) {
		if (!ID.test(zone)) problems.push(`zone "${zone}": a name of lower-case letters, digits and dashes`);
		if (!Array.isArray(countries) || countries.some((country) => typeof country !== "string" || !COUNTRY.test(country))) {
			problems.push(`zone ${zone}: countries must be ISO 3166-1 alpha-2 codes in upper case`);
			continue;
		}
		for (const country of countries) {
			if (seen.has(country)) problems.push(`${country} is in zones ${seen.get(country)} and ${zone}`);
			seen.set(country, zone);
		}
	}
	if (!Array.isArray(t.options) || t.options.length === 0) return [...problems, "options must be a non-empty array"];
	const ids = new Set<string>();
	for (const [i, option] of t.options.entries()) {
		const where = `options[${i}]`;
		if (!ID.test(String(option?.id))) problems.push(`${where}.id: lower-case letters, digits and dashes, up to 32`);
		if (ids.has(option?.id)) problems.push(`${where}.id: ${option.id} twice`);
		ids.add(option?.id);
		if (typeof option?.name !== "string" || option.name.length === 0 || option.name.length > 60) problems.push(`${where}.name: 1 to 60 characters`);
		for (const [zone, rate] of Object.entries(option?.rates ?? {})) {
			if (!(zone in zones)) problems.push(`${where}.rates.${zone}: no such zone`);
			if (!isDays(rate?.days?.min) || !isDays(rate?.days?.max) || rate.days.min > rate.days.max)
				problems.push(`${where}.rates.${zone}.days: min <= max, whole days`);
			const bandList = Array.isArray(rate?.bands) ? rate.bands : [];
			if (bandList.length === 0) problems.push(`${where}.rates.${zone}.bands: at least one`);
			let previous = 0;
			for (const [b, band] of bandList.entries()) {
				if (!Number.isInteger(band?.upToGrams) || band.upToGrams <= previous)
					problems.push(`${where}.rates.${zone}.bands[${b}].upToGrams: whole grams, rising`);
				previous = Number.isInteger(band?.upToGrams) ? band.upToGrams : previous;
				const prices = Object.entries(band?.prices ?? {});
				if (prices.length === 0 || prices.some(([currency, cents]) => !CURRENCY.test(currency) || !isCents(cents))) {
					problems.push(`${where}.rates.${zone}.bands[${b}].prices: currency (ISO 4217) -> whole cents`);
				}
			}
		}
		for (const [country, prefixes] of Object.entries(option?.excludedPostalCodes ?? {})) {
			if (!COUNTRY.test(country) || !Array.isArray(prefixes) || prefixes.some((prefix) => typeof prefix !== "string" || prefix.trim() === "")) {
				problems.push(`${where}.excludedPostalCodes.${country}: a country code -> postal code prefixes`);
			}
		}
	}
	return problems;
}

/** The rate table in force: the file named by SHIPPING_RATES_FILE, or the built-in one; a bad file stops the start. */
export function loadRateTable(file: string | undefined, builtIn: RateTable): RateTable {
	if (!file) return builtIn;
	let parsed: unknown;
	try {
		parsed = JSON.parse(fs.readFileSync(file, "utf8"));
	} catch (err) {
		throw new RateTableError(file, [`cannot be read as JSON: ${(err as Error).message}`]);
	}
	const problems = rateTableProblems(parsed);
	if (problems.length > 0) throw new RateTableError(file, problems);
	return parsed as RateTable;
}

export class RateTableError extends Error {
	constructor(file: string, problems: string[]) {
		super(`SHIPPING_RATES_FILE ${file}:\n  - ${problems.join("\n  - ")}`);
		this.name = "RateTableError";
	}
}
