import fs from "node:fs";
import path from "node:path";
import type { Context, Service, ServiceSchema } from "moleculer";
import type { ShopMeta } from "../../contracts";
import { ServiceUnavailableError } from "../../lib/errors";
import { buildOpenApiDocument, MissingActionsError, type ActionDescription, type OpenApiDocument } from "./openapi/document";
import { API_VERSION, PUBLIC_ROUTES } from "./routes";

/*
 * The API's description, served by the gateway: the OpenAPI document at /api/openapi.json, and
 * the human-readable reference at /api/docs: Swagger UI (swagger-ui-dist, installed from npm
 * and served from node_modules by the gateway itself, so no CDN is needed at run time) pointed
 * at /api/openapi.json. The page loads only files of its own origin; the one script of ours that
 * starts Swagger UI is a file too, so the page's Content-Security-Policy needs no inline script.
 */

/** The files /api/docs/:file serves, with their media types. */
export const DOCS_ASSETS = {
	"swagger-ui.css": "text/css; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"start.js": "text/javascript; charset=utf-8",
} as const;

export type DocsAsset = keyof typeof DOCS_ASSETS;

/** Swagger UI loads its own files and styles; it talks only to this API. */
export const DOCS_CONTENT_SECURITY_POLICY =
	"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop API reference</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<main id="swagger-ui" aria-label="Shop API reference"></main>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/start.js"></script>
</body>
</html>
`;

// validatorUrl: null, or Swagger UI would send the document to validator.swagger.io for a badge.
const START_SCRIPT = `window.addEventListener("load", function () {
	window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true, persistAuthorization: false, validatorUrl: null });
});
`;

const loaded = new Map<DocsAsset, Buffer>();

/** An asset's bytes, read from swagger-ui-dist once and kept. */
export function docsAsset(name: DocsAsset): Buffer {
	let bytes = loaded.get(name);
	if (!bytes) {
		bytes =
			name === "start.js" ? Buffer.from(START_SCRIPT) : fs.readFileSync(path.join(path.dirname(require.resolve("swagger-ui-dist/package.json")), name));
		loaded.set(name, bytes);
	}
	return bytes;
}

/** The gateway's actions behind /api/openapi.json, /api/docs and /api/docs/:file. */
export const docsActions: NonNullable<ServiceSchema["actions"]> = {
	/**
	 * The OpenAPI document, made from the route table and the actions as the registry knows
	 * them now (wherever they run), so it describes what the services really validate.
	 */
	openapi: {
		params: { $$strict: true },
		handler(this: Service, ctx: Context<Record<string, never>, ShopMeta>): OpenApiDocument {
			const actions: Record<string, ActionDescription> = {};
			for (const item of this.broker.registry.getActionList({ onlyAvailable: true, skipInternal: true }) as {
				name: string;
				action?: ActionDescription;
			}[]) {
				if (item.action) actions[item.name] = { params: item.action.params, auth: item.action.auth };
			}
			try {
				return buildOpenApiDocument({ routes: PUBLIC_ROUTES, actions, info: { version: API_VERSION } });
			} catch (err) {
				// Until every service has joined, some routes cannot be described.
				if (err instanceof MissingActionsError) throw new ServiceUnavailableError(err.actions);
				throw err;
			} finally {
				ctx.meta.$responseHeaders = { "Cache-Control": "no-cache" };
			}
		},
	},

	docs: {
		params: { $$strict: true },
		handler(ctx: Context<Record<string, never>, ShopMeta>): string {
			ctx.meta.$responseType = "text/html; charset=utf-8";
			ctx.meta.$responseHeaders = { "Content-Security-Policy": DOCS_CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache" };
			return DOCS_PAGE;
		},
	},

	docsAsset: {
		params: { $$strict: true, file: { type: "enum", values: Object.keys(DOCS_ASSETS) } },
		handler(ctx: Context<{ file: DocsAsset }, ShopMeta>): Buffer {
			ctx.meta.$responseType = DOCS_ASSETS[ctx.params.file];
			ctx.meta.$responseHeaders = { "Cache-Control": "public, max-age=3600" };
			return docsAsset(ctx.params.file);
		},
	},
};
