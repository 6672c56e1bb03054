import { useCallback, useEffect, useState } from "preact/hooks";
import { asApiError, type ApiError } from "../api/errors";

export interface Loaded<T> {
	data?: T;
	error?: ApiError;
	loading: boolean;
	reload(): void;
	/** Replaces the data with what a change answered (the cart after an update). */
	set(data: T): void;
}

/** Loads what a page shows, again when `deps` change; an answer that a newer load overtook is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
	const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
	const [round, setRound] = useState(0);
	useEffect(() => {
		let current = true;
		setState((previous) => ({ data: previous.data, loading: true }));
		load().then(
			(data) => current && setState({ data, loading: false }),
			(err: unknown) => current && setState({ error: asApiError(err), loading: false }),
		);
		return () => {
			current = false;
		};
	}, [...deps, round]);
	const reload = useCallback(() => setRound((value) => value + 1), []);
	const set = useCallback((data: T) => setState({ data, loading: false }), []);
	return { ...state, reload, set };
}
