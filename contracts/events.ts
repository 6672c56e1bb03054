import type { Product } from "./catalogue";

/**
 * Domain events: `<entity>.<pastTense>`, each payload carrying its own event id (consumers
 * de-duplicate on it) and the time it happened. Version a payload by adding a new event name,
 * never by changing the meaning of a field.
 */
export interface DomainEvent {
	/** Unique per event; the key consumers de-duplicate on. */
	id: string;
	occurredAt: string;
}

export interface ProductCreated extends DomainEvent {
	productId: string;
	product: Product;
}

export interface ProductUpdated extends DomainEvent {
	productId: string;
	product: Product;
	changed: string[];
}

export interface ProductDeactivated extends DomainEvent {
	productId: string;
}

export interface CustomerRegistered extends DomainEvent {
	customerId: string;
	email: string;
	name: string;
}

export interface EventPayloads {
	"product.created": ProductCreated;
	"product.updated": ProductUpdated;
	"product.deactivated": ProductDeactivated;
	"customer.registered": CustomerRegistered;
}

export type EventName = keyof EventPayloads;
