import createClient, { type Middleware } from "openapi-fetch";
import { currentSession, endSession } from "../session";
import { ApiError, toApiError } from "./errors";
import type { paths } from "./types";

/*
 * The one client of the API, typed by the generated schema: a path, its parameters and its body
 * are checked by tsc against the OpenAPI document, and so against the actions' own params.
 */

const auth: Middleware = {
	onRequest({ request }) {
		const session = currentSession();
		if (session) request.headers.set("Authorization", `Bearer ${session.token}`);
		return request;
	},
	onResponse({ response }) {
		// The token was refused (expired, or the shop's secret changed): the customer logs in again.
		if (response.status === 401 && currentSession()) endSession();
		return response;
	},
};

/*
 * cache "no-cache": the shop sends public reads (products, pages of them) with a max-age for
 * caches between it and its shoppers, and with an ETag. The app asks again every time, with the
 * tag, so what a shopper sees is what the shop holds now (stock just sold out, a new price), and
 * an unchanged answer costs a 304 with no body.
 */
export const api = createClient<paths>({ baseUrl: "/api", cache: "no-cache" });
api.use(auth);

type Answer<T> = { data: T; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/** The result of a call, or an ApiError that says in words what went wrong. */
export async function call<T>(request: Promise<Answer<T>>): Promise<Exclude<T, undefined>> {
	let answer: Answer<T>;
	try {
		answer = await request;
	} catch (err) {
		if (err instanceof DOMException && err.name === "AbortError") throw err;
		throw new ApiError(0, "NETWORK", "The shop could not be reached. Check the connection and try again.");
	}
	if (!answer.response.ok || answer.data === undefined) throw toApiError(answer.response.status, answer.error);
	// Checked above: every route of the shop answers a body on success.
	return answer.data as Exclude<T, undefined>;
}

/** A key for one attempt at something that must happen once (a checkout), sent again on retry. */
export function newIdempotencyKey(): string {
	// crypto.randomUUID needs a secure context; a shop reached over plain http on a LAN is not one.
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return `web-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
