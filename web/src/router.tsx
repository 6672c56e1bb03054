import type { ComponentChildren } from "preact";
import { LocationProvider, useLocation } from "preact-iso/router";
import { useLayoutEffect } from "preact/hooks";

/*
 * The app's routing is preact-iso's (LocationProvider, Router, Route, useLocation; a route's
 * parameters reach its page as props): the URL is the state of the page (the catalogue's search,
 * filter, sort and page live in its query string), so a link, a reload and the back button all
 * work. History entries are the browser's own (pushState and popstate); links are plain <a href>s,
 * which LocationProvider follows without a page load (a modified click, a new tab, is the browser's).
 *
 * This file keeps what the app needs that preact-iso does not do by itself:
 * - which links are the app's: LocationProvider follows every same-origin <a> whose href is in
 *   its scope, so the paths the gateway answers itself (/api, the 3-D Secure page at /3ds/) are
 *   left out of it and stay page loads;
 * - the top of the page after every new history entry, a change of the query string alone
 *   (the next page of a list, a filter) included: preact-iso's Router scrolls only when the path changes;
 * - a path with a malformed %-escape, on which preact-iso's route matching throws;
 * - withQuery, to write a query string.
 */

/** Links LocationProvider follows: a path of this origin (not `//host`), but none under /api or /3ds. */
const APP_PATHS = /^\/(?!\/|api(?:[/?#]|$)|3ds(?:[/?#]|$))/;

/** The query string as preact-iso reads it (the last value of a repeated key); any key may be missing. */
export type Query = Readonly<Partial<Record<string, string>>>;

/** Where the app is: preact-iso's LocationProvider, scoped to the app's own paths. */
export function AppLocation(props: { children: ComponentChildren }) {
	return (
		<LocationProvider scope={APP_PATHS}>
			<ScrollOnNewEntry />
			{props.children}
		</LocationProvider>
	);
}

/**
 * A new history entry (a followed link, route(url)) starts at the top of the page; replace and
 * back/forward leave the scroll alone. `wasPush` is what preact-iso's own Router reads for the
 * same purpose; it is on the context's value but not in its types.
 */
function ScrollOnNewEntry() {
	const { url, wasPush } = useLocation() as ReturnType<typeof useLocation> & { wasPush?: boolean };
	useLayoutEffect(() => {
		if (wasPush) window.scrollTo(0, 0);
	}, [url]);
	return null;
}

/**
 * `path` with its %-escapes decoded, or undefined when one is malformed (/products/%E0), on which
 * preact-iso's Router throws a URIError while it matches routes. The decoded path is returned, not
 * only tried: the bundler takes decodeURIComponent for pure and drops a call whose result is unused,
 * throw and all.
 */
export function decodedPath(path: string): string | undefined {
	try {
		return decodeURIComponent(path);
	} catch {
		return undefined;
	}
}

/** A query string from the non-empty values, in a stable order. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
	const params = new URLSearchParams();
	for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") params.set(key, String(value));
	const text = params.toString();
	return text ? `${path}?${text}` : path;
}
