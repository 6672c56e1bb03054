import fs from "node:fs";
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/env";
import { createApiService } from "../../services/api/api.service";
import { buildOpenApiDocument, type ActionDescription, type OpenApiDocument } from "../../services/api/openapi/document";
import { API_VERSION, PUBLIC_ROUTES } from "../../services/api/routes";
import cartsService from "../../services/carts/carts.service";
import catalogueService from "../../services/catalogue/catalogue.service";
import customersService from "../../services/customers/customers.service";
import notificationsService from "../../services/notifications/notifications.service";
import ordersService from "../../services/orders/orders.service";
import paymentsService from "../../services/payments/payments.service";
import shippingService from "../../services/shipping/shipping.service";

/*
 * The OpenAPI document without a running shop, for the web app's generated client
 * (web/src/api/schema.d.ts, made from it by openapi-typescript). It is built as
 * test/integration/openapi-document.test.ts builds it and as the gateway serves it: every
 * service's actions (with those its mixins bring), their definitions passed through JSON as
 * between nodes, and the route table.
 * So a change of an action's params changes the client's types, and `npm run build:web` fails
 * where the app no longer fits.
 *
 *   node dist/scripts/web/openapi.js web/openapi.json
 */

/** Each schema's actions as the broker will have them: its mixins' first (nested ones included), its own over them. */
function withMixins(schema: Partial<ServiceSchema>): Record<string, unknown> {
	const fromMixins = (schema.mixins ?? []).map((mixin) => withMixins(mixin as Partial<ServiceSchema>));
	return Object.assign({}, ...fromMixins, schema.actions ?? {}) as Record<string, unknown>;
}

/** Every service's actions by full name (`orders.create`) with their definitions, as the registry describes them. */
export function shopActions(): Record<string, ActionDescription & { visibility?: string }> {
	const services = [
		cartsService(),
		catalogueService(),
		customersService(),
		notificationsService(),
		ordersService(),
		paymentsService(),
		shippingService(),
		createApiService(loadConfig({})),
	] as ServiceSchema[];
	const actions: Record<string, ActionDescription & { visibility?: string }> = {};
	for (const service of services) {
		for (const [name, action] of Object.entries(withMixins(service))) {
			if (typeof action === "object" && action !== null && "params" in action) actions[`${service.name}.${name}`] = action as ActionDescription;
		}
	}
	return actions;
}

export function offlineDocument(): OpenApiDocument {
	const remote = JSON.parse(JSON.stringify(shopActions())) as ReturnType<typeof shopActions>;
	return buildOpenApiDocument({ routes: PUBLIC_ROUTES, actions: remote, info: { version: API_VERSION } });
}

function main(): void {
	const target = process.argv[2];
	if (!target) throw new Error("usage: node dist/scripts/web/openapi.js <file.json>");
	fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
	fs.writeFileSync(target, `${JSON.stringify(offlineDocument(), null, "\t")}\n`);
	console.log(`openapi: wrote ${target}`);
}

if (require.main === module) main();
