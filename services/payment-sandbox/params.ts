import { invalidParam, missingParam, type JsonObject } from "./http-io";

/*
 * Reading a request's parameters as Stripe does: an unknown parameter is an error (a typo must
 * not be ignored silently), and each error names the parameter it is about.
 */

export const MAX_AMOUNT = 99_999_999;
const METADATA_MAX_KEYS = 20;
const METADATA_MAX_KEY_LENGTH = 40;
const METADATA_MAX_VALUE_LENGTH = 500;
const MAX_URL_LENGTH = 2048;
export const DEFAULT_LIST_LIMIT = 10;
const MAX_LIST_LIMIT = 100;

/** Refuses any parameter of `body` not in `allowed`. */
export function onlyKnown(body: JsonObject, allowed: readonly string[]): void {
	const unknown = Object.keys(body).find((key) => !allowed.includes(key));
	if (unknown !== undefined) throw invalidParam(unknown, `Received unknown parameter: ${unknown}`);
}

export function optionalAmount(body: JsonObject, name: string): number | undefined {
	const value = body[name];
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_AMOUNT) {
		throw invalidParam(name, `${name} must be an integer from 1 to ${MAX_AMOUNT} (in the currency's smallest unit).`);
	}
	return value;
}

export function requiredAmount(body: JsonObject, name: string): number {
	const amount = optionalAmount(body, name);
	if (amount === undefined) throw missingParam(name);
	return amount;
}

/** A three-letter ISO currency code, lowercased as Stripe returns it. */
export function currency(body: JsonObject, name: string): string {
	const value = body[name];
	if (value === undefined) throw missingParam(name);
	if (typeof value !== "string" || !/^[A-Za-z]{3}$/.test(value)) throw invalidParam(name, `${name} must be a three-letter ISO currency code.`);
	return value.toLowerCase();
}

export function requiredString(body: JsonObject, name: string, maxLength: number): string {
	const value = body[name];
	if (value === undefined) throw missingParam(name);
	if (typeof value !== "string" || value.length === 0 || value.length > maxLength)
		throw invalidParam(name, `${name} must be a string of 1 to ${maxLength} characters.`);
	return value;
}

export function optionalBoolean(body: JsonObject, name: string): boolean {
	const value = body[name];
	if (value === undefined) return false;
	if (typeof value !== "boolean") throw invalidParam(name, `${name} must be true or false.`);
	return value;
}

/** An http(s) URL the customer's browser is sent back to. */
export function optionalReturnUrl(body: JsonObject, name: string): string | null {
	const value = body[name];
	if (value === undefined || value === null) return null;
	if (typeof value === "string" && value.length <= MAX_URL_LENGTH && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) return value;
	throw invalidParam(name, `${name} must be an http or https URL of at most ${MAX_URL_LENGTH} characters.`);
}

/** Stripe's metadata rules: at most 20 keys of up to 40 characters, string values of up to 500. */
export function metadata(body: JsonObject, name: string): Record<string, string> {
	const value = body[name];
	if (value === undefined) return {};
	if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidParam(name, `${name} must be an object of strings.`);
	const entries = Object.entries(value as JsonObject);
	if (entries.length > METADATA_MAX_KEYS) throw invalidParam(name, `${name} may have at most ${METADATA_MAX_KEYS} keys.`);
	for (const [key, entry] of entries) {
		if (key.length === 0 || key.length > METADATA_MAX_KEY_LENGTH)
			throw invalidParam(`${name}[${key}]`, `Metadata keys must be 1 to ${METADATA_MAX_KEY_LENGTH} characters.`);
		if (typeof entry !== "string" || entry.length > METADATA_MAX_VALUE_LENGTH) {
			throw invalidParam(`${name}[${key}]`, `Metadata values must be strings of at most ${METADATA_MAX_VALUE_LENGTH} characters.`);
		}
	}
	// fromEntries defines own properties, so a "__proto__" key stays a key and sets no prototype.
	return Object.fromEntries(entries as [string, string][]);
}

/** The one value of a one-of parameter. */
export function oneOf<T extends string>(body: JsonObject, name: string, allowed: readonly T[]): T {
	const value = body[name];
	if (value === undefined) throw missingParam(name);
	if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) throw invalidParam(name, `${name} must be one of ${allowed.join(", ")}.`);
	return value as T;
}

export function optionalInt(body: JsonObject, name: string, min: number, max: number): number | undefined {
	const value = body[name];
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
		throw invalidParam(name, `${name} must be an integer from ${min} to ${max}.`);
	return value;
}

export interface ListParams {
	limit: number;
	startingAfter?: string;
	filters: Record<string, string>;
}

/** `limit` (1 to 100, 10 by default), `starting_after` (an id) and the list's own filters from the query string. */
export function listParams(query: URLSearchParams, filters: readonly string[]): ListParams {
	const allowed = ["limit", "starting_after", ...filters];
	for (const key of query.keys()) {
		if (!allowed.includes(key)) throw invalidParam(key, `Received unknown parameter: ${key}`);
	}
	const limitText = query.get("limit");
	let limit = DEFAULT_LIST_LIMIT;
	if (limitText !== null) {
		limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : 0;
		if (limit < 1 || limit > MAX_LIST_LIMIT) throw invalidParam("limit", `limit must be an integer from 1 to ${MAX_LIST_LIMIT}.`);
	}
	const present = filters.filter((name) => query.get(name));
	return {
		limit,
		startingAfter: query.get("starting_after") || undefined,
		filters: Object.fromEntries(present.map((name) => [name, query.get(name)!])),
	};
}
