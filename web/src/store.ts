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
	const value = store.get();
	const [, setTick] = useState(0);
	useEffect(() => {
		const rerender = () => setTick((tick) => tick + 1);
		const unsubscribe = store.subscribe(rerender);
		// A child's effect runs before this one: a change it made (a login ending a stale session)
		// came before this listener was there, and would leave the old value showing.
		if (store.get() !== value) rerender();
		return unsubscribe;
	}, [store]);
	return value;
}
