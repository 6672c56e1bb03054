import type { Cachers } from "moleculer";

type Cacher = Cachers.Base<Cachers.Base.CacherOptions>;

/** Values frozen all the way down by a ReadCache: nothing can change them, nor their JSON. */
const immutable = new WeakSet<object>();
const jsonOfImmutable = new WeakMap<object, string>();

function deepFreeze<T>(value: T): T {
	if (value && typeof value === "object" && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const child of Object.values(value)) deepFreeze(child);
	}
	return value;
}

/** JSON.stringify, made once per value for the values a ReadCache hands out. */
export function immutableJson(value: unknown): string {
	if (typeof value !== "object" || value === null || !immutable.has(value)) return JSON.stringify(value);
	let json = jsonOfImmutable.get(value);
	if (json === undefined) {
		json = JSON.stringify(value);
		jsonOfImmutable.set(value, json);
	}
	return json;
}

/**
 * Read-through caching on the broker's cacher, for reads whose source changes under them.
 *
 * Moleculer's cacher middleware stores whatever a handler returns. A read that began before a
 * change and finished after the change was invalidated would put the old value back, to be served
 * for a whole TTL. Here every invalidation advances a generation, and a read stores its result
 * only when no invalidation happened while it ran.
 *
 * Entries expire `ttlSeconds` after they were stored, however often they are read: the TTL bounds
 * how long an entry can be stale when an invalidation was missed. The entries are shared, so they
 * are frozen; a caller that tries to change one fails loudly instead of corrupting it for the next.
 */
export class ReadCache {
	private generation = 0;

	constructor(
		private readonly cacher: Cacher | undefined,
		private readonly ttlSeconds: number,
	) {}

	get enabled(): boolean {
		return this.cacher !== undefined && this.ttlSeconds > 0;
	}

	/** The cached value of `key`, or what `load` answers, stored unless an invalidation came meanwhile. */
	async through<T extends object>(key: string, load: () => Promise<T>): Promise<T> {
		const [value] = await this.throughMany<T>([key], async () => [await load()]);
		return value!;
	}

	/**
	 * `through` for many keys at once: the entries found are served, and the missing ones are
	 * loaded in one call (`load` answers a value for each key it is given, in that order) and
	 * stored under the same rule as `through`. Answers a value per key, in the order of `keys`.
	 */
	async throughMany<T extends object>(keys: readonly string[], load: (missing: string[]) => Promise<T[]>): Promise<T[]> {
		const cacher = this.cacher;
		if (!cacher || this.ttlSeconds <= 0) return load([...keys]);
		const generation = this.generation;
		const hits = (await Promise.all(keys.map((key) => cacher.get(key)))) as (T | null | undefined)[];
		const missing = keys.filter((_, index) => hits[index] == null);
		if (missing.length === 0) return hits as T[];
		const loaded = await load(missing);
		if (loaded.length !== missing.length) throw new Error(`ReadCache.throughMany: ${missing.length} keys missing, ${loaded.length} values loaded`);
		for (const value of loaded) {
			deepFreeze(value);
			immutable.add(value);
		}
		if (generation === this.generation) await Promise.all(missing.map((key, index) => cacher.set(key, loaded[index], this.ttlSeconds)));
		let next = 0;
		return keys.map((_, index) => hits[index] ?? loaded[next++]!);
	}

	/** Drops the entries matching the patterns (the cacher's globs; `prefix**` for a prefix). */
	async invalidate(patterns: string[]): Promise<void> {
		this.generation++;
		if (this.cacher) await this.cacher.clean(patterns);
	}
}
