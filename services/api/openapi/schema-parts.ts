import type { JsonSchema } from "./json-schema";
import { portablePattern } from "./portable-patterns";

/* The building blocks of the document's schemas (schemas.ts and the *-schemas.ts beside it) and answers (responses.ts). */

/** A reference to one of the document's components, e.g. `componentRef("responses", "NotFound")`. */
export const componentRef = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });
export const ref = (name: string): JsonSchema => componentRef("schemas", name);
export const dateTime: JsonSchema = { type: "string", format: "date-time" };
export const cents: JsonSchema = { type: "integer", minimum: 0 };
export const currency: JsonSchema = { type: "string", pattern: portablePattern("^[A-Z]{3}$") };

/** A closed object: every property listed is required unless named in `optional`. */
export function closed(properties: Record<string, JsonSchema>, optional: string[] = [], example?: unknown): JsonSchema {
	const schema: JsonSchema = {
		type: "object",
		properties,
		required: Object.keys(properties).filter((name) => !optional.includes(name)),
		additionalProperties: false,
	};
	if (example !== undefined) schema.example = example;
	return schema;
}

/** What findPage returns (lib/paging.ts toPage); pageSize is capped at MAX_PAGE_SIZE. */
export function page(row: string, rowExample: unknown): JsonSchema {
	return closed(
		{
			rows: { type: "array", items: ref(row) },
			total: { type: "integer", minimum: 0 },
			page: { type: "integer", minimum: 1 },
			pageSize: { type: "integer", minimum: 1, maximum: 100 },
			totalPages: { type: "integer", minimum: 0 },
		},
		[],
		{ rows: [rowExample], total: 1, page: 1, pageSize: 20, totalPages: 1 },
	);
}
