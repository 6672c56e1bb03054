import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service, ServiceSchema } from "moleculer";
import ApiGateway, { type ApiSettingsSchema } from "moleculer-web";
import type { AuthUser, ShopMeta } from "../../contracts";
import { AccessTokens } from "../../lib/auth-token";
import { loadConfig, logsAt, type ShopConfig } from "../../lib/env";
import { ForbiddenError, UnauthorizedError } from "../../lib/errors";
import { immutableJson } from "../../lib/read-cache";
import { acceptRequestId, parseTraceparent } from "../../lib/trace-context";
import { errorResponse } from "./error-response";

/*
 * The only public entry point: it authenticates, checks the role an action declares, and routes.
 * Business rules live in the services behind it. Only the aliases below are reachable
 * (mappingPolicy "restrict"), so internal actions such as catalogue.reserve or $node.* are 404.
 *
 * Every request has an id: the client's X-Request-Id when it sends a sensible one, a new one
 * otherwise. It goes back in the response's X-Request-Id and travels in ctx.meta.requestId to
 * every node that works on the request, into their log lines and the events they publish. The
 * trace id is the gateway's own (ctx.requestID), never the client's, unless TRUST_PROXY says a
 * proxy of ours is in front and it sends a W3C traceparent.
 */

/** Services the shop cannot serve requests without; /api/health reports 503 until all are up. */
const REQUIRED_SERVICES = ["catalogue", "customers", "orders", "payments", "notifications"];

interface GatewayRequest extends IncomingMessage {
	$action?: { auth?: "customer" | "admin" };
	$ctx?: Context<unknown, ShopMeta>;
}

const REQUEST_ID_HEADER = "X-Request-Id";

interface Methods {
	encodeResponse(req: IncomingMessage, res: ServerResponse, data: unknown): string;
	authenticate(ctx: Context, route: unknown, req: IncomingMessage): AuthUser | null;
	authorize(ctx: Context<unknown, ShopMeta>, route: unknown, req: GatewayRequest): void;
}
type Vars = { tokens: AccessTokens };
type ApiService = Service<ApiSettingsSchema> & Vars & Methods;

function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
	const forwarded = req.headers["x-forwarded-for"];
	if (trustProxy && typeof forwarded === "string" && forwarded.trim()) {
		return forwarded.split(",")[0]!.trim();
	}
	return req.socket.remoteAddress ?? "unknown";
}

/** moleculer-web answers with ctx.requestID, the trace id; the client gets its request id instead. */
function returnRequestId(req: IncomingMessage, res: ServerResponse): void {
	const requestId = (req as GatewayRequest).$ctx?.meta.requestId;
	if (requestId && !res.headersSent) res.setHeader(REQUEST_ID_HEADER, requestId);
}

function sendJsonError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
	const { status, body } = errorResponse(err);
	if (res.headersSent) return res.end() as unknown as void;
	returnRequestId(req, res);
	res.statusCode = status;
	res.setHeader("Content-Type", "application/json; charset=utf-8");
	res.end(JSON.stringify(body));
}

export function createApiService(config: ShopConfig): ServiceSchema<ApiSettingsSchema, Methods, Vars> {
	const bodyParsers = { json: { strict: true, limit: config.http.bodyLimit }, urlencoded: false };
	const cors =
		config.http.corsOrigins.length > 0
			? {
					origin: config.http.corsOrigins.includes("*") ? "*" : config.http.corsOrigins,
					methods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
					allowedHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
					exposedHeaders: ["X-Request-Id", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"],
					maxAge: 600,
				}
			: undefined;

	const logsInfo = logsAt(config.logLevel, "info");

	return {
		name: "api",
		mixins: [ApiGateway],
		settings: {
			port: config.port,
			path: "/api",
			cors,
			// moleculer-web also takes a function here, though its typings know only an object.
			rootCallOptions: ((options: Record<string, unknown>, req: IncomingMessage) => {
				options.meta = { requestId: acceptRequestId(req.headers["x-request-id"]) };
				const parent = config.http.trustProxy ? parseTraceparent(req.headers.traceparent) : undefined;
				if (parent) {
					options.requestID = parent.traceId;
					options.parentSpan = { id: parent.spanId, traceID: parent.traceId, sampled: parent.sampled };
				} else {
					options.requestID = randomUUID();
				}
			}) as never,
			// Request bodies carry passwords; never log them.
			logRequestParams: null,
			logResponseData: null,
			log4XXResponses: false,
			// moleculer-web formats and colours its per-request lines before it hands them to the
			// logger, even at levels that drop them; below info they are not made at all.
			logRequest: logsInfo ? "info" : null,
			logResponse: logsInfo ? "info" : null,
			routes: [
				{
					name: "auth",
					path: "/auth",
					mappingPolicy: "restrict",
					bodyParsers,
					onBeforeCall: (_ctx: Context, _route: unknown, req: IncomingMessage, res: ServerResponse) => returnRequestId(req, res),
					rateLimit: {
						window: 60 * 1000,
						limit: config.http.authRateLimitPerMinute,
						headers: true,
						// moleculer-web would trust X-Forwarded-For from anyone, letting a client
						// pick a fresh rate-limit bucket per request.
						key: (req: IncomingMessage) => clientAddress(req, config.http.trustProxy),
					},
					aliases: {
						"POST /register": "customers.register",
						"POST /login": "customers.login",
					},
				},
				{
					name: "shop",
					path: "/",
					mappingPolicy: "restrict",
					authentication: true,
					authorization: true,
					bodyParsers,
					onBeforeCall: (_ctx: Context, _route: unknown, req: IncomingMessage, res: ServerResponse) => returnRequestId(req, res),
					aliases: {
						"GET /health": "api.health",
						"GET /me": "customers.me",
						"PATCH /me": "customers.updateMe",
						"GET /customers": "customers.list",
						"GET /products": "catalogue.list",
						"GET /products/:id": "catalogue.get",
						"POST /products": "catalogue.create",
						"PATCH /products/:id": "catalogue.update",
						"DELETE /products/:id": "catalogue.deactivate",
						"POST /orders": "orders.create",
						"GET /orders": "orders.list",
						"GET /orders/:id": "orders.get",
						"POST /orders/:id/cancel": "orders.cancel",
						"GET /payments": "payments.list",
						"GET /notifications": "notifications.list",
					},
				},
			],
			onError(req: IncomingMessage, res: ServerResponse, err: unknown) {
				sendJsonError(req, res, err);
			},
		},

		actions: {
			// moleculer-web's HTTP entry point. The action it calls has the broker's timeout, circuit
			// breaker and bulkhead; on the entry point they would only be paid for twice, and a
			// bulkhead here would queue browsing behind slow checkouts. Retrying the entry point
			// itself would replay a request whose body and response are spent (it answered a
			// spurious 404 after a store outage).
			rest: { retryPolicy: { enabled: false }, circuitBreaker: { enabled: false }, bulkhead: { enabled: false }, timeout: 0 },

			health: {
				params: { $$strict: true },
				async handler(this: ApiService, ctx: Context<Record<string, never>, ShopMeta>) {
					const services = (await ctx.call("$node.services", { onlyAvailable: true, skipInternal: true })) as {
						name: string;
					}[];
					const available = new Set(services.map((service) => service.name));
					const missing = REQUIRED_SERVICES.filter((name) => !available.has(name));
					if (missing.length > 0) ctx.meta.$statusCode = 503;
					return {
						status: missing.length === 0 ? "ok" : "degraded",
						nodeID: this.broker.nodeID,
						uptimeSeconds: Math.round(process.uptime()),
						services: [...available].sort(),
						...(missing.length > 0 ? { missing } : {}),
					};
				},
			},
		},

		methods: {
			/** A cached read is the same immutable object for every request, so its JSON is made once. */
			encodeResponse(this: ApiService, _req: IncomingMessage, _res: ServerResponse, data: unknown): string {
				return immutableJson(data);
			},

			/** Establishes who is calling; no header means anonymous, a bad header is a 401. */
			authenticate(this: ApiService, _ctx: Context, _route: unknown, req: IncomingMessage): AuthUser | null {
				const header = req.headers.authorization;
				if (!header) return null;
				const match = /^Bearer\s+(\S+)$/i.exec(header);
				if (!match) throw new UnauthorizedError("TOKEN_INVALID", "The Authorization header must be 'Bearer <token>'");
				return this.tokens.verify(match[1]!);
			},

			/** The one place roles are checked, against the `auth` each action declares. */
			authorize(this: ApiService, ctx: Context<unknown, ShopMeta>, _route: unknown, req: GatewayRequest): void {
				const needed = req.$action?.auth;
				if (!needed) return;
				const user = ctx.meta.user;
				if (!user) throw new UnauthorizedError("TOKEN_MISSING", "This request needs a bearer token");
				if (needed === "admin" && user.role !== "admin") {
					throw new ForbiddenError("ROLE_FORBIDDEN", "This request needs the admin role");
				}
			},
		},

		created(this: ApiService) {
			this.tokens = new AccessTokens(config.jwt.secret, config.jwt.ttlSeconds);
		},
	};
}

/** moleculer-runner calls a default-exported function (with the broker) to get the schema. */
export default function apiService(): ServiceSchema<ApiSettingsSchema, Methods, Vars> {
	return createApiService(loadConfig());
}
