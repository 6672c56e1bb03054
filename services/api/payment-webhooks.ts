import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "moleculer";
import type { ShopMeta } from "../../contracts";
import type { ShopConfig } from "../../lib/env";
import { BadRequestError } from "../../lib/errors";
import { verifySignature } from "../../lib/webhook-signature";
import { returnRequestId } from "./http-answers";
import { checkJsonHeaders, parseJsonObject, readBytes } from "./json-body";
import type { RequestWithBody } from "./request-params";
import { aliasesOf, PUBLIC_ROUTES } from "./routes";

/*
 * POST /api/webhooks/payments: the card processor's events. No bearer token: the signature
 * alone authenticates (HMAC-SHA256 over the timestamp and the raw bytes as received, compared
 * in constant time, at most 5 minutes old), so the body is read as bytes and verified before it
 * is parsed. A bad or missing signature is 400 and nothing is called; a verified event goes to
 * payments (payments.acceptProcessorEvent), which writes what it changes before the 2xx.
 */

/** Processor events are small; anything larger is not one (413). */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024;

/** The paths the route serves (under /api), so that any other path under it is a plain 404, not a signature check. */
const WEBHOOK_PATHS = new Set(PUBLIC_ROUTES.filter((route) => route.group === "webhooks").map((route) => `/api${route.path}`));

/** The gateway's route for the processor's webhooks. */
export function paymentWebhookRoute(config: ShopConfig) {
	return {
		name: "webhooks",
		path: "/webhooks",
		mappingPolicy: "restrict" as const,
		bodyParsers: false as const,
		mergeParams: false,
		use: [
			(req: RequestWithBody & { originalUrl?: string }, _res: ServerResponse, next: (err?: unknown) => void) => {
				if (!WEBHOOK_PATHS.has((req.originalUrl ?? req.url ?? "").split("?")[0]!)) return next();
				verifiedEvent(req, config.payments.webhookSecret).then((event) => {
					req.body = event;
					next();
				}, next);
			},
		],
		onBeforeCall(_ctx: Context<unknown, ShopMeta>, _route: unknown, req: RequestWithBody & { $params?: unknown }, res: ServerResponse) {
			returnRequestId(req as never, res);
			req.$params = { ...req.body };
		},
		aliases: aliasesOf("webhooks"),
	};
}

async function verifiedEvent(req: IncomingMessage, secret: string): Promise<Record<string, unknown>> {
	if (req.method !== "POST") return {};
	const bytes = await readBytes(req, WEBHOOK_BODY_LIMIT_BYTES);
	const header = req.headers.signature;
	const check = verifySignature(secret, bytes, typeof header === "string" ? header : undefined);
	if (!check.ok) {
		throw new BadRequestError("WEBHOOK_SIGNATURE_INVALID", `The Signature header does not sign this body (${check.why.toLowerCase()})`);
	}
	checkJsonHeaders(req);
	return parseJsonObject(bytes);
}
