import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

/*
 * The app's router, small enough to read in a minute: the URL is the state of the page (the
 * catalogue's search, filter, sort and page live in its query string), so a link, a reload and
 * the back button all work. History entries are the browser's own (pushState and popstate);
 * links are real <a href>s, so opening one in a new tab works too.
 */

export interface Location {
	path: string;
	query: URLSearchParams;
	/** path and query, as a `next` parameter takes it. */
	href: string;
}

const listeners = new Set<() => void>();

function current(): Location {
	return { path: window.location.pathname, query: new URLSearchParams(window.location.search), href: window.location.pathname + window.location.search };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
	if (options.replace) window.history.replaceState(null, "", to);
	else window.history.pushState(null, "", to);
	for (const listener of listeners) listener();
	if (!options.replace) window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => {
	for (const listener of listeners) listener();
});

export function useLocation(): Location {
	const [location, setLocation] = useState(current);
	useEffect(() => {
		const update = () => setLocation((previous) => (previous.href === window.location.pathname + window.location.search ? previous : current()));
		listeners.add(update);
		// A child's effect runs before this one: a redirect it made (RequireLogin sending a guest to
		// /login) happened before this listener was there, and would leave the old page showing.
		update();
		return () => {
			listeners.delete(update);
		};
	}, []);
	return location;
}

/** `pattern` such as /products/:id against a path: the decoded parameters, or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
	const names: string[] = [];
	const source = pattern.replace(/:([A-Za-z]+)/g, (_all, name: string) => {
		names.push(name);
		return "([^/]+)";
	});
	const found = new RegExp(`^${source}/?$`).exec(path);
	if (!found) return undefined;
	try {
		return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1]!)]));
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

interface LinkProps {
	href: string;
	children: ComponentChildren;
	class?: string;
	"aria-current"?: "page";
	"aria-label"?: string;
	rel?: string;
}

/** An <a> that the router follows without a page load; a modified click (new tab) is the browser's. */
export function Link(props: LinkProps) {
	const onClick = (event: MouseEvent) => {
		if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
		event.preventDefault();
		navigate(props.href);
	};
	return <a {...props} onClick={onClick} />;
}
