import type { components, paths } from "./schema";

/*
 * The API's types, all from schema.d.ts, which openapi-typescript generates from the OpenAPI
 * document (`npm run build:web`): nothing here is written by hand, so when an action's params or
 * a result's shape change, the app stops compiling where it no longer fits.
 */
export type { paths };
export type Schemas = components["schemas"];
export type Product = Schemas["Product"];
export type Cart = Schemas["Cart"];
export type CartLine = Schemas["CartLine"];
export type Order = Schemas["Order"];
export type OrderStatus = Order["status"];
export type Address = Schemas["Address"];
export type ProductQuery = NonNullable<paths["/products"]["get"]["parameters"]["query"]>;
export type CheckoutBody = NonNullable<paths["/cart/checkout"]["post"]["requestBody"]>["content"]["application/json"];
