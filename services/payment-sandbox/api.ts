import type { IncomingHttpHeaders } from "node:http";
import { WEBHOOK_MODES } from "../../lib/env";
import type { SandboxBooks, Confirmed } from "./books";
import { ApiError, bearerMatches, json, missingParam, type Answer, type JsonObject } from "./http-io";
import { fingerprintOf, idempotencyKeyOf, type IdempotencyKeeper } from "./idempotency";
import { INTENT_EVENT_TYPES, INTENT_STATUSES } from "./intent";
import {
	currency,
	listParams,
	metadata,
	oneOf,
	onlyKnown,
	optionalAmount,
	optionalBoolean,
	optionalInt,
	optionalReturnUrl,
	requiredAmount,
	requiredString,
} from "./params";
import type { WebhookDispatcher } from "./webhooks";

/*
 * The /v1 API, Stripe's PaymentIntents and Refunds shape in JSON. Each route first reads its
 * parameters (refusing bad ones before anything happens) and then acts; what it answered once it
 * acted is what an Idempotency-Key replays.
 */

export interface ApiRequest {
	/** The path's captured segments (the id). */
	ids: string[];
	query: URLSearchParams;
	body: JsonObject;
}

type Act = () => Promise<Answer>;

interface Route {
	method: "GET" | "POST";
	pattern: RegExp;
	/** Creating calls must carry an Idempotency-Key; the others may. */
	keyRequired?: boolean;
	/** Reads the parameters (throwing on a bad one) and returns the action. */
	prepare(request: ApiRequest): Act;
}

const ID = "([^/]+)";
const MAX_PAYMENT_METHOD_LENGTH = 100;
const MAX_DELAY_MS = 10 * 60 * 1000;
const EVENT_TYPES: readonly string[] = [...INTENT_EVENT_TYPES, "refund.created", "refund.updated"];

/** An intent as the create and confirm calls answer it: 402 card_error when the card said no. */
function confirmedAnswer({ intent, failure }: Confirmed): Answer {
	if (!failure) return json(200, intent);
	return json(402, { error: { type: "card_error", code: failure.code, message: failure.message, payment_intent: intent } });
}

function filterIn(query: URLSearchParams, name: string, allowed: readonly string[]): void {
	const value = query.get(name);
	if (value && !allowed.includes(value))
		throw new ApiError(400, "invalid_request_error", `${name} must be one of ${allowed.join(", ")}.`, { code: "parameter_invalid", param: name });
}

export class SandboxApi {
	private readonly routes: Route[];

	constructor(
		private readonly books: SandboxBooks,
		private readonly webhooks: WebhookDispatcher,
		private readonly keeper: IdempotencyKeeper,
		private readonly secretKey: string,
	) {
		this.routes = this.defineRoutes();
	}

	/** The answer to a /v1 request; throws ApiError for what is refused before acting. */
	async answer(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders, readBody: () => Promise<JsonObject>): Promise<Answer> {
		if (!bearerMatches(headers.authorization, this.secretKey)) {
			const message = headers.authorization ? "Invalid API key provided." : "You did not provide an API key: use Authorization: Bearer <key>.";
			throw new ApiError(401, "authentication_error", message, {}, { "www-authenticate": 'Bearer realm="payment-sandbox"' });
		}
		const matching = this.routes.map((route) => ({ route, match: route.pattern.exec(path) })).filter(({ match }) => match !== null);
		if (matching.length === 0) throw new ApiError(404, "invalid_request_error", `Unrecognized request URL (${method}: ${path}).`);
		const found = matching.find(({ route }) => route.method === method);
		if (!found) {
			const allow = matching.map(({ route }) => route.method).join(", ");
			throw new ApiError(405, "invalid_request_error", `${method} is not allowed on ${path}; use ${allow}.`, {}, { allow });
		}
		const ids = found.match!.slice(1);
		if (method !== "POST") return acted(found.route.prepare({ ids, query, body: {} }));

		const body = await readBody();
		const key = idempotencyKeyOf(headers["idempotency-key"]);
		if (key === undefined && found.route.keyRequired) throw missingParam("Idempotency-Key");
		const operate = async () => acted(found.route.prepare({ ids, query, body }));
		return key === undefined ? operate() : this.keeper.answer(key, fingerprintOf(method, path, body), operate);
	}

	private defineRoutes(): Route[] {
		const { books, webhooks } = this;
		return [
			{
				method: "POST",
				pattern: /^\/v1\/payment_intents$/,
				keyRequired: true,
				prepare: ({ body }) => {
					onlyKnown(body, ["amount", "currency", "payment_method", "confirm", "return_url", "metadata"]);
					const params = {
						amount: requiredAmount(body, "amount"),
						currency: currency(body, "currency"),
						paymentMethod: requiredString(body, "payment_method", MAX_PAYMENT_METHOD_LENGTH),
						confirm: optionalBoolean(body, "confirm"),
						returnUrl: optionalReturnUrl(body, "return_url"),
						metadata: metadata(body, "metadata"),
					};
					return async () => confirmedAnswer(await books.createIntent(params));
				},
			},
			{
				method: "GET",
				pattern: /^\/v1\/payment_intents$/,
				prepare: ({ query }) => {
					const params = listParams(query, ["status"]);
					filterIn(query, "status", INTENT_STATUSES);
					return async () => json(200, await books.listIntents(params));
				},
			},
			{
				method: "GET",
				pattern: new RegExp(`^/v1/payment_intents/${ID}$`),
				prepare:
					({ ids: [id] }) =>
					async () =>
						json(200, await books.intent(id!)),
			},
			{
				method: "POST",
				pattern: new RegExp(`^/v1/payment_intents/${ID}/confirm$`),
				prepare: ({ ids: [id], body }) => {
					onlyKnown(body, ["return_url"]);
					const returnUrl = optionalReturnUrl(body, "return_url");
					return async () => confirmedAnswer(await books.confirm(id!, returnUrl));
				},
			},
			{
				method: "POST",
				pattern: new RegExp(`^/v1/payment_intents/${ID}/cancel$`),
				prepare: ({ ids: [id], body }) => {
					onlyKnown(body, []);
					return async () => json(200, await books.cancel(id!));
				},
			},
			{
				method: "POST",
				pattern: /^\/v1\/refunds$/,
				keyRequired: true,
				prepare: ({ body }) => {
					onlyKnown(body, ["payment_intent", "amount", "metadata"]);
					const params = {
						paymentIntent: requiredString(body, "payment_intent", 255),
						amount: optionalAmount(body, "amount"),
						metadata: metadata(body, "metadata"),
					};
					return async () => json(200, await books.createRefund(params));
				},
			},
			{
				method: "GET",
				pattern: /^\/v1\/refunds$/,
				prepare: ({ query }) => {
					const params = listParams(query, ["payment_intent"]);
					return async () => json(200, await books.listRefunds(params));
				},
			},
			{
				method: "GET",
				pattern: new RegExp(`^/v1/refunds/${ID}$`),
				prepare:
					({ ids: [id] }) =>
					async () =>
						json(200, await books.refund(id!)),
			},
			{
				method: "GET",
				pattern: /^\/v1\/events$/,
				prepare: ({ query }) => {
					const params = listParams(query, ["type"]);
					filterIn(query, "type", EVENT_TYPES);
					return async () => json(200, await books.listEvents(params));
				},
			},
			{
				method: "GET",
				pattern: new RegExp(`^/v1/events/${ID}$`),
				prepare:
					({ ids: [id] }) =>
					async () =>
						json(200, await books.event(id!)),
			},
			{
				method: "POST",
				pattern: new RegExp(`^/v1/events/${ID}/redeliver$`),
				prepare: ({ ids: [id], body }) => {
					onlyKnown(body, []);
					return async () => {
						await books.redeliver(id!);
						return json(202, { id, redelivering: true });
					};
				},
			},
			{
				method: "GET",
				pattern: /^\/v1\/test\/webhooks$/,
				prepare: () => async () => json(200, settingsView(webhooks)),
			},
			{
				method: "POST",
				pattern: /^\/v1\/test\/webhooks$/,
				prepare: ({ body }) => {
					onlyKnown(body, ["mode", "delay_ms"]);
					const mode = oneOf(body, "mode", WEBHOOK_MODES);
					const delayMs = optionalInt(body, "delay_ms", 0, MAX_DELAY_MS);
					return async () => {
						webhooks.settings = { mode, delayMs: delayMs ?? webhooks.settings.delayMs };
						return json(200, settingsView(webhooks));
					};
				},
			},
		];
	}
}

function settingsView(webhooks: WebhookDispatcher): { mode: string; delay_ms: number } {
	return { mode: webhooks.settings.mode, delay_ms: webhooks.settings.delayMs };
}

/** What an action answered, its refusals (an intent in the wrong state, an unknown id) included. */
async function acted(act: Act): Promise<Answer> {
	try {
		return await act();
	} catch (err) {
		if (err instanceof ApiError) return err.answer();
		throw err;
	}
}
