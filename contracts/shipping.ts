import type { Address } from "./customers";
import type { Page, PageParams } from "./common";

/*
 * Shipping: what it costs to send an order's parcel where it goes (quotes, from the shipping
 * service's rate table), and the shipment that carries it (booked with a carrier once the order
 * is paid, then dispatched and delivered).
 */

/** Where a parcel goes, as far as price and reach are concerned. */
export interface Destination {
	/** ISO 3166-1 alpha-2, upper case. */
	country: string;
	postalCode: string;
}

/** One way to ship a parcel to a destination, at a price. */
export interface ShippingOption {
	/**
	 * What an order names to ship this way at this price: `<optionId>:<priceCents>`, e.g.
	 * `standard:490`. An order that sends it is refused (409 SHIPPING_PRICE_CHANGED) if the price
	 * is no longer that; an order may also name the bare option (`standard`) at today's price.
	 */
	id: string;
	/** The option in the rate table: standard, express… */
	optionId: string;
	name: string;
	priceCents: number;
	currency: string;
	/** Working days from dispatch to delivery, fewest and most. */
	days: { min: number; max: number };
}

/** POST /api/shipping/quotes: the lines of an order to be and where it goes. */
export interface QuoteShippingParams {
	items: { productId: string; qty: number }[];
	destination: Destination;
}

/** The options that reach the destination for these lines, cheapest first (never empty: 422 NO_SHIPPING_OPTION otherwise). */
export interface ShippingQuote {
	destination: Destination;
	weightGrams: number;
	currency: string;
	options: ShippingOption[];
}

/** A parcel already weighed and priced, as shipping.choose takes it (orders, at placement). */
export interface ShippingRatesParams {
	weightGrams: number;
	currency: string;
	destination: Destination;
}

/** shipping.choose: the option an order ships with; without `shippingOptionId` the cheapest. */
export interface ChooseShippingParams extends ShippingRatesParams {
	shippingOptionId?: string;
}

/** How an order ships, as it was priced when placed. */
export interface OrderShipping {
	optionId: string;
	name: string;
	priceCents: number;
	days: { min: number; max: number };
	weightGrams: number;
}

/** The carrier's label for an order's parcel. */
export interface Tracking {
	carrier: string;
	trackingNumber: string;
	/** The carrier's id of the printed label. */
	label: string;
}

export const SHIPMENT_STATUSES = ["PENDING", "BOOKING", "LABELLED", "IN_TRANSIT", "DELIVERED", "REFUSED", "VOIDED"] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export interface Shipment {
	/** The order's id: one shipment per order. */
	orderId: string;
	customerId: string;
	status: ShipmentStatus;
	optionId: string;
	weightGrams: number;
	destination: Destination;
	tracking?: Tracking;
	/** Why the carrier refused it (REFUSED). */
	refusedReason?: string;
	history: { status: ShipmentStatus; at: string; reason: string }[];
	createdAt: string;
	updatedAt: string;
}

/** shipping.list (admin): shipments by status, newest first. */
export interface ListShipmentsParams extends PageParams {
	status?: ShipmentStatus;
}
export type ListShipmentsResult = Page<Shipment>;

/** shipping.ofOrder: the order's shipment for its timeline, null when it has none. */
export type ShipmentOfOrder = Shipment | null;

/** The address a label is printed for. */
export type ShippingAddress = Address;
