/*
 * NeDB (the embedded store) answers a query from the documents of one index, then matches each.
 * Which index it picks is crude: the last field of the query with a plain value that has one,
 * so `{ _id, status }`, the compare-and-set every state change makes, is answered from every
 * document with that status (with 20,000 confirmed orders, a pass over all of them for each
 * write: a third of the embedded shop's CPU in the bench's --preload run). And a range with one
 * bound (`{ $lte: now }`) also yields the documents whose field is null or missing, which the
 * match then drops. Here a query by `_id` (a value or `$in`) is answered from the `_id` index,
 * and a one-sided numeric range gets its other bound for the choice of candidates. Which
 * documents match is unchanged: NeDB matches every candidate against the query as given.
 */

type Query = Record<string, unknown>;
interface Index {
	getMatching(value: unknown): unknown[];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Datastore = require("@seald-io/nedb/lib/datastore.js") as {
	prototype: { indexes: Record<string, Index>; _getRawCandidates(this: { indexes: Record<string, Index> }, query: Query): unknown[] };
};

const rawCandidates = Datastore.prototype._getRawCandidates;

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** The query with each one-sided numeric range closed by the number line's other end. */
export function bracketRanges(query: Query): Query {
	let bracketed: Query | undefined;
	for (const [field, condition] of Object.entries(query)) {
		if (!isPlainObject(condition)) continue;
		const upper = typeof condition.$lt === "number" || typeof condition.$lte === "number";
		const lower = typeof condition.$gt === "number" || typeof condition.$gte === "number";
		if (upper === lower) continue;
		bracketed ??= { ...query };
		bracketed[field] = upper ? { ...condition, $gte: -Infinity } : { ...condition, $lte: Infinity };
	}
	return bracketed ?? query;
}

Datastore.prototype._getRawCandidates = function (query) {
	const id = query._id;
	if (typeof id === "string") return this.indexes._id!.getMatching(id);
	if (isPlainObject(id) && Array.isArray(id.$in) && Object.keys(id).length === 1) return this.indexes._id!.getMatching(id.$in);
	return rawCandidates.call(this, bracketRanges(query));
};
