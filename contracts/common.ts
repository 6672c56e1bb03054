export type Role = "customer" | "admin";

/** Who is calling, as the gateway established it from a verified token. */
export interface AuthUser {
	id: string;
	role: Role;
}

/** What every action receives in `ctx.meta` from the gateway. */
export interface ShopMeta {
	user?: AuthUser | null;
	$statusCode?: number;
	/** The Location header of a 201: where the created resource can be read. */
	$location?: string;
}

export interface Page<T> {
	rows: T[];
	total: number;
	page: number;
	pageSize: number;
	totalPages: number;
}

export interface PageParams {
	page?: number;
	pageSize?: number;
}
