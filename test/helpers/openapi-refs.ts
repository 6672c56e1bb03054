/** Follows a `#/components/...` reference in an OpenAPI document, as a client reading it does; anything else is returned as it is. */
export function resolveRef<T>(document: unknown, value: unknown): T {
	const target = (value as { $ref?: string }).$ref;
	if (target === undefined) return value as T;
	const found = target
		.replace(/^#\//, "")
		.split("/")
		.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document);
	return resolveRef<T>(document, found);
}
