import { useEffect, useState } from "preact/hooks";

/*
 * A value that components follow: the session and the cart's size in the header. A few lines
 * instead of a state library; a component re-renders when the value is replaced.
 */
export interface Store<T> {
	get(): T;
	set(value: T): void;
	subscribe(listener: () => void): () => void;
}

export function createStore<T>(initial: T): Store<T> {
	let value = initial;
	const listeners = new Set<() => void>();
	return {
		get: () => value,
		set(next) {
			value = next;
			for (const listener of listeners) listener();
		},
		subscribe(listener) {
			listeners.add(listener);
			return () => {
				listeners.delete(listener);
			};
		},
	};
}

export function useStore<T>(store: Store<T>): T {
	const [, setTick] = useState(0);
	useEffect(() => store.subscribe(() => setTick((tick) => tick + 1)), [store]);
	return store.get();
}
