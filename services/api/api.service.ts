import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Service, ServiceSchema } from "moleculer";
import ApiGateway, { type ApiSettingsSchema } from "moleculer-web";
import { ORDER_STATUS_NOTICE, SHOP_SERVICES, type AuthUser, type OrderStatusNotice, type ShopMeta } from "../../contracts";
import { AccessTokens } from "../../lib/auth-token";
import { loadConfig, logsAt, type ShopConfig } from "../../lib/env";
import { BadRequestError, ForbiddenError, MethodNotAllowedError, UnauthorizedError } from "../../lib/errors";
import { IDEMPOTENCY_KEY_PATTERN } from "../../lib/idempotency";
import { immutableJson } from "../../lib/read-cache";
import { acceptRequestId, parseTraceparent } from "../../lib/trace-context";
import { entityTag, publicCacheHeaders, returnRequestId, sendJsonError, setBaseHeaders, type AnsweredRequest } from "./http-answers";
import { assembleParams, readRequest, type RequestWithBody } from "./request-params";
import { docsActions } from "./docs";
import type { OrderStreams } from "./order-streams";
import { createOrderStreams, lastEventIdOf, ORDER_EVENTS_ACTION, orderEventsAction } from "./order-events";
import { ACTIONS_TAKING_KEYS, aliasesOf, methodsAt, PUBLIC_ROUTES } from "./routes";
import { measureAnswer } from "./http-metrics";
import { paymentWebhookRoute } from "./payment-webhooks";
import { loadWebApp, resolveWebPath, sendWebFile, type WebApp } from "./web-assets";

/*
 * The only public entry point: it authenticates, checks the role an action declares, and routes.
 * Business rules live in the services behind it. Only the routes of routes.ts are reachable
 * (mappingPolicy "restrict"), so internal actions such as catalogue.reserve or $node.* are 404.
 *
 * Requests are bounded and checked before anything walks them (json-body.ts), take their params
 * only from the sources their method declares (request-params.ts), and OPTIONS never reaches an
 * action: the gateway answers it itself from the route table (routes.ts).
 *
 * Every request has an id: the client's X-Request-Id when it sends a sensible one, a new one
 * otherwise. It goes back in the response's X-Request-Id and travels in ctx.meta.requestId to
 * every node that works on the request, into their log lines and the events they publish. The
 * trace id is the gateway's own (ctx.requestID), never the client's, unless TRUST_PROXY says a
 * proxy of ours is in front and it sends a W3C traceparent.
 *
 * Outside /api it serves the built web app (web-assets.ts), when there is one: a GET of a file
 * of the build, or of a page of the app (index.html). Nothing there can shadow /api, which is
 * routed first.
 */

/** Services the shop cannot serve requests without (all but the gateway); /api/health reports 503 until all are up. */
const REQUIRED_SERVICES = SHOP_SERVICES.filter((name) => name !== "api");

interface GatewayRequest extends AnsweredRequest, RequestWithBody {
	$action?: { name?: string; auth?: "customer" | "admin"; params?: Record<string, unknown> };
	$ctx?: Context<unknown, ShopMeta>;
	$params?: { params?: Record<string, unknown> };
}

/** moleculer-web's own request handler, which ours wraps. */
const routeRequest = (ApiGateway.methods as { httpHandler: (req: IncomingMessage, res: ServerResponse, next?: unknown) => Promise<void> }).httpHandler;

interface Methods {
	httpHandler(req: GatewayRequest, res: ServerResponse, next?: unknown): Promise<void>;
	answerOptions(req: GatewayRequest, res: ServerResponse, path: string): void;
	encodeResponse(req: GatewayRequest, res: ServerResponse, data: unknown): string;
	authenticate(ctx: Context, route: unknown, req: IncomingMessage): AuthUser | null;
	authorize(ctx: Context<unknown, ShopMeta>, route: unknown, req: GatewayRequest): void;
}
/** moleculer-web's own methods that the gateway calls (its typings do not declare them). */
type WebMethods = { writeCorsHeaders(settings: unknown, req: IncomingMessage, res: ServerResponse, isPreFlight: boolean): void };
type Vars = { tokens: AccessTokens; orderStreams: OrderStreams; webApp?: WebApp } & WebMethods;
type ApiService = Service<ApiSettingsSchema> & Vars & Methods;

/**
 * The address rate limits key on. Behind a trusted proxy it is the last X-Forwarded-For entry,
 * the one that proxy added for the peer it saw: the entries before it are whatever the client
 * sent, so keying on the first would let a client pick its own bucket.
 */
function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
	const forwarded = req.headers["x-forwarded-for"];
	const added = trustProxy && typeof forwarded === "string" ? forwarded.split(",").at(-1)!.trim() : "";
	return added || (req.socket.remoteAddress ?? "unknown");
}

/** The Idempotency-Key of a request to a route that takes one; a malformed key is 400, on any route that takes one. */
function idempotencyKeyOf(req: GatewayRequest): string | undefined {
	const key = req.headers["idempotency-key"];
	if (key === undefined || !ACTIONS_TAKING_KEYS.has(req.$action?.name ?? "")) return undefined;
	if (typeof key !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
		throw new BadRequestError("IDEMPOTENCY_KEY_INVALID", "The Idempotency-Key header must be 1 to 255 printable ASCII characters, sent once");
	}
	return key;
}

export function createApiService(config: ShopConfig): ServiceSchema<ApiSettingsSchema, Methods, Vars> {
	// moleculer-web's body-parser and param merging are replaced by readRequest and assembleParams.
	const requestHandling = {
		bodyParsers: false,
		mergeParams: false,
		use: [
			(req: GatewayRequest, _res: ServerResponse, next: (err?: unknown) => void) => {
				readRequest(req, config.http.bodyLimitBytes).then(() => next(), next);
			},
		],
		onBeforeCall(ctx: Context<unknown, ShopMeta>, _route: unknown, req: GatewayRequest, res: ServerResponse) {
			returnRequestId(req, res);
			const key = idempotencyKeyOf(req);
			if (key !== undefined) ctx.meta.idempotencyKey = key;
			if (req.$action?.name === ORDER_EVENTS_ACTION) ctx.meta.lastEventId = lastEventIdOf(req);
			const { body, query } = req;
			req.$params = assembleParams({ method: req.method!, body, query, path: req.$params?.params, schema: req.$action?.params });
		},
		onAfterCall(ctx: Context<unknown, ShopMeta>, _route: unknown, _req: GatewayRequest, res: ServerResponse, data: unknown) {
			if (ctx.meta.$publicCache) publicCacheHeaders(res, config.http.publicMaxAgeSeconds);
			return data;
		},
	};
	const cors =
		config.http.corsOrigins.length > 0
			? {
					origin: config.http.corsOrigins.includes("*") ? "*" : config.http.corsOrigins,
					methods: [...new Set(PUBLIC_ROUTES.map((route) => route.method)), "OPTIONS"],
					allowedHeaders: ["Authorization", "Content-Type", "X-Request-Id", "Idempotency-Key", "Last-Event-ID"],
					exposedHeaders: ["X-Request-Id", "Idempotent-Replayed", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"],
					maxAge: 600,
				}
			: undefined;

	const logsInfo = logsAt(config.logLevel, "info");

	return {
		name: "api",
		mixins: [ApiGateway],
		settings: {
			port: config.port,
			ip: config.http.host,
			path: "/api",
			// Query strings of reads are flat: a few parameters, no deep brackets.
			qsOptions: { depth: 1, parameterLimit: 50, arrayLimit: 10 },
			cors,
			// moleculer-web also takes a function here, though its typings know only an object.
			rootCallOptions: ((options: Record<string, unknown>, req: IncomingMessage) => {
				options.meta = { requestId: (req as GatewayRequest).$requestId };
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
					...requestHandling,
					rateLimit: {
						window: 60 * 1000,
						limit: config.http.authRateLimitPerMinute,
						headers: true,
						// moleculer-web would trust X-Forwarded-For from anyone, letting a client
						// pick a fresh rate-limit bucket per request.
						key: (req: IncomingMessage) => clientAddress(req, config.http.trustProxy),
					},
					aliases: aliasesOf("auth"),
				},
				{
					name: "shop",
					path: "/",
					mappingPolicy: "restrict",
					authentication: true,
					authorization: true,
					...requestHandling,
					aliases: aliasesOf("shop"),
				},
				paymentWebhookRoute(config),
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

			...docsActions,

			orderEvents: orderEventsAction(config),

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
			/**
			 * Every request starts here: the headers every answer carries, OPTIONS and methods a
			 * path does not serve answered from the route table, the rest routed by moleculer-web.
			 * Whatever fails on the way, even the error path, ends in an answer, never in a
			 * rejection that would stop the node.
			 */
			async httpHandler(this: ApiService, req: GatewayRequest, res: ServerResponse, next?: unknown): Promise<void> {
				try {
					req.$requestId = acceptRequestId(req.headers["x-request-id"]);
					setBaseHeaders(req, res);
					const url = req.url ?? "/";
					const path = url.includes("?") ? url.slice(0, url.indexOf("?")) : url;
					if (path === "/api" || path.startsWith("/api/")) {
						measureAnswer(this.broker, req, res);
						const served = path.slice("/api".length);
						if (req.method === "OPTIONS") return this.answerOptions(req, res, served);
						const methods = methodsAt(served);
						if (methods.length > 0 && !methods.includes(req.method as never)) {
							throw new MethodNotAllowedError(req.method ?? "", [...methods, "OPTIONS"]);
						}
					} else if (this.webApp && (req.method === "GET" || req.method === "HEAD")) {
						const file = resolveWebPath(this.webApp, path);
						if (file) return sendWebFile(req, res, file);
					}
					await routeRequest.call(this, req, res, next);
				} catch (err) {
					if (!(typeof err === "object" && err !== null && "code" in err && Number(err.code) < 500)) {
						this.logger.error(`Request ${req.$requestId} failed outside an action`, err);
					}
					sendJsonError(req, res, err);
				}
			},

			/** OPTIONS never runs an action: the methods the path serves, and CORS when it is configured. */
			answerOptions(this: ApiService, req: GatewayRequest, res: ServerResponse, path: string): void {
				const methods = methodsAt(path);
				if (methods.length === 0) return sendJsonError(req, res, { code: 404 });
				const allow = [...methods, "OPTIONS"].join(", ");
				res.setHeader("Allow", allow);
				if (cors && req.headers["access-control-request-method"]) {
					// Throws 403 ORIGIN_NOT_ALLOWED for an origin the configuration does not list.
					this.writeCorsHeaders(this.settings, req, res, true);
					if (res.hasHeader("Access-Control-Allow-Origin")) res.setHeader("Access-Control-Allow-Methods", allow);
				}
				res.statusCode = 204;
				res.end();
			},

			/** A cached read is the same immutable object for every request, so its JSON and tag are made once. */
			encodeResponse(this: ApiService, req: GatewayRequest, res: ServerResponse, data: unknown): string {
				const json = immutableJson(data);
				// moleculer-web compares the tag with If-None-Match and answers 304 when it matches.
				if (req.$ctx?.meta.$publicCache) res.setHeader("ETag", entityTag(data, json));
				return json;
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

		events: {
			// A broadcast: every gateway node hears each change and feeds its own streams.
			[ORDER_STATUS_NOTICE](this: ApiService, ctx: Context<OrderStatusNotice>) {
				this.orderStreams.notice(ctx.params);
			},
		},

		created(this: ApiService) {
			this.tokens = new AccessTokens(config.jwt.secret, config.jwt.ttlSeconds);
			this.orderStreams = createOrderStreams(this, config);
			this.webApp = loadWebApp(config.http.webDir);
			if (this.webApp) this.logger.info(`Serving the web app from ${config.http.webDir} at /`);
			else this.logger.info(`No web app in ${config.http.webDir} (npm run build:web makes it); / answers 404`);
		},

		stopped(this: ApiService) {
			// Before moleculer-web closes its server, which waits for open connections: clients of a
			// live stream reconnect (to another gateway node) with their Last-Event-ID.
			this.orderStreams.closeAll();
		},
	};
}

/** moleculer-runner calls a default-exported function (with the broker) to get the schema. */
export default function apiService(): ServiceSchema<ApiSettingsSchema, Methods, Vars> {
	return createApiService(loadConfig());
}
