import type { Customer, OutboxEvent, Role, UpdateProfileParams } from "../../contracts";
import { escapeRegExp } from "../../lib/paging";

/** `email` is stored lower-cased, so uniqueness holds regardless of how it was typed. */
export type CustomerDoc = Omit<Customer, "id"> & {
	[key: string]: unknown;
	_id: string;
	passwordHash: string;
	outbox?: OutboxEvent[];
};

export function normalizeEmail(email: string): string {
	return email.trim().toLowerCase();
}

/** The only way a customer leaves the service: without the password hash. */
export function toCustomer(doc: CustomerDoc): Customer {
	return {
		id: doc._id,
		email: doc.email,
		name: doc.name,
		role: doc.role,
		addresses: doc.addresses,
		createdAt: doc.createdAt,
		updatedAt: doc.updatedAt,
	};
}

export function newCustomer(input: { email: string; name: string; role: Role }, id: string, passwordHash: string, now: Date): CustomerDoc {
	const at = now.toISOString();
	return {
		_id: id,
		email: normalizeEmail(input.email),
		name: input.name.trim(),
		role: input.role,
		passwordHash,
		addresses: [],
		createdAt: at,
		updatedAt: at,
	};
}

export function profileChanges(params: UpdateProfileParams, now: Date): Record<string, unknown> {
	const set: Record<string, unknown> = { updatedAt: now.toISOString() };
	if (params.name !== undefined) set.name = params.name.trim();
	if (params.addresses !== undefined) {
		set.addresses = params.addresses.map((address) => ({ ...address, country: address.country.toUpperCase() }));
	}
	return set;
}

export function customerQuery(q: string | undefined): Record<string, unknown> {
	const text = q?.trim();
	if (!text) return {};
	const pattern = new RegExp(escapeRegExp(text), "i");
	return { $or: [{ email: pattern }, { name: pattern }] };
}
