/*
 * What the store asks of a MongoDB-wire server before using it. The shop's stock, status and
 * outbox writes are conditional single-document updates (`stock >= qty`, status compare-and-set)
 * and count on MongoDB's guarantee that each is one atomic step. FerretDB 1.x breaks it: it reads
 * the document and writes it back unchecked, so concurrent updates of one document overwrite each
 * other (measured on 1.24: 100 concurrent conditional decrements of a stock of 30 all "succeeded").
 * Such a server would oversell and double-charge without a single error, so it is refused at start
 * unless MONGO_ALLOW_NON_ATOMIC accepts the risk.
 */

export interface ServerVerdict {
	/** Why the store must not use this server. */
	refuse?: string;
	/** What to log when the server is used although it is unsafe. */
	warn?: string;
}

/**
 * Judges a server by its `buildInfo` answer (undefined for the embedded NeDB store). FerretDB says
 * what it is there, beside the MongoDB version it emulates; every FerretDB is judged alike, since
 * only 1.x was measured and no later version was shown to be atomic.
 */
export function judgeServer(buildInfo: Record<string, unknown> | undefined, allowNonAtomic: boolean): ServerVerdict {
	const ferretdb = buildInfo?.ferretdbVersion;
	if (ferretdb === undefined) return {};
	// eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever buildInfo holds is named as it is
	const what = `The database server is FerretDB ${String(ferretdb)}, whose single-document updates are not atomic: concurrent conditional updates of one document overwrite each other, so stock can be oversold and a payment moved twice`;
	if (!allowNonAtomic) {
		return { refuse: `${what}. Use MongoDB (or \`npm run infra:up\`'s mongo-java-server), or set MONGO_ALLOW_NON_ATOMIC=true to run on it anyway.` };
	}
	return { warn: `${what}; running on it because MONGO_ALLOW_NON_ATOMIC=true.` };
}

/** The service cannot use its database server safely; start-up stops with the reason. */
export class UnsafeStoreError extends Error {
	constructor(service: string, reason: string) {
		super(`The ${service} store refuses its database server (MONGO_URI): ${reason}`);
		this.name = "UnsafeStoreError";
	}
}
