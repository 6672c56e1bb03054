/** The patterns of a list query's text filter (`$or` of one-field clauses), in the order of its clauses. */
export function textPatterns(query: Record<string, unknown>): RegExp[] {
	const or = query.$or as Array<Record<string, RegExp>>;
	return or.map((clause) => Object.values(clause)[0]);
}

/**
 * Whether a document would match a list query's text filter: a `$or` of one-field clauses, each
 * a pattern for the field it names. Lets a unit test judge the filter by what it finds rather
 * than by how its regular expressions are spelt.
 */
export function matchesText(query: Record<string, unknown>, doc: Record<string, string>): boolean {
	const or = query.$or as Array<Record<string, RegExp>>;
	return or.some((clause) => Object.entries(clause).some(([field, pattern]) => field in doc && pattern.test(doc[field])));
}
