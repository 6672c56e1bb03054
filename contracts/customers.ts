import type { PageParams, Page, Role } from "./common";

export interface Address {
	label?: string;
	name: string;
	line1: string;
	line2?: string;
	city: string;
	postalCode: string;
	country: string;
}

/** A customer as any action returns it: the password hash never leaves the service. */
export interface Customer {
	id: string;
	email: string;
	name: string;
	role: Role;
	addresses: Address[];
	createdAt: string;
	updatedAt: string;
}

export interface RegisterParams {
	email: string;
	password: string;
	name: string;
}

export interface LoginParams {
	email: string;
	password: string;
}

export interface LoginResult {
	token: string;
	tokenType: "Bearer";
	expiresAt: string;
	customer: Customer;
}

export interface UpdateProfileParams {
	name?: string;
	addresses?: Address[];
}

export interface ListCustomersParams extends PageParams {
	q?: string;
}
export type ListCustomersResult = Page<Customer>;
