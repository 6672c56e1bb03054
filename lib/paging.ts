import type { Page } from "../contracts";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageWindow {
	page: number;
	pageSize: number;
	limit: number;
	offset: number;
}

/** Larger page sizes than the cap are served at the cap rather than refused. */
export function pageWindow(page = 1, pageSize = DEFAULT_PAGE_SIZE): PageWindow {
	const size = Math.min(Math.max(1, Math.trunc(pageSize)), MAX_PAGE_SIZE);
	const current = Math.max(1, Math.trunc(page));
	return { page: current, pageSize: size, limit: size, offset: (current - 1) * size };
}

export function toPage<T>(rows: T[], total: number, window: PageWindow): Page<T> {
	return {
		rows,
		total,
		page: window.page,
		pageSize: window.pageSize,
		totalPages: Math.ceil(total / window.pageSize),
	};
}

/** Validator rules shared by every paginated action (query strings arrive as text). */
export const pageParams = {
	page: { type: "number", integer: true, positive: true, convert: true, optional: true },
	pageSize: { type: "number", integer: true, positive: true, convert: true, optional: true },
} as const;

export function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
