import type { Schemas } from "./api/types";
import { createStore } from "./store";

/*
 * Who is logged in: the bearer token of POST /api/auth/login and the customer it names, kept in
 * localStorage so that a reload or a second tab stays logged in until the token expires
 * (JWT_TTL_SECONDS). The page's Content-Security-Policy allows no script but the app's own,
 * which is what keeps other code from reading it.
 */

export interface Session {
	token: string;
	expiresAt: string;
	customer: Schemas["Customer"];
}

const KEY = "shop.session";

function read(): Session | undefined {
	try {
		const session = JSON.parse(window.localStorage.getItem(KEY) ?? "null") as Session | null;
		return session && Date.parse(session.expiresAt) > Date.now() ? session : undefined;
	} catch {
		return undefined;
	}
}

export const sessionStore = createStore<Session | undefined>(read());

/** The session while its token is still valid. */
export function currentSession(): Session | undefined {
	const session = sessionStore.get();
	if (session && Date.parse(session.expiresAt) <= Date.now()) {
		endSession();
		return undefined;
	}
	return session;
}

export function startSession(session: Session): void {
	window.localStorage.setItem(KEY, JSON.stringify(session));
	sessionStore.set(session);
}

export function endSession(): void {
	window.localStorage.removeItem(KEY);
	sessionStore.set(undefined);
}

// Another tab logged in or out.
window.addEventListener("storage", (event) => {
	if (event.key === KEY) sessionStore.set(read());
});
