import "moleculer-db";

// The NeDB adapter keeps its datastore on `db` but its typings do not say so; the store mixin
// needs it to declare indexes and compact the file on shutdown.
declare module "moleculer-db" {
	interface MemoryAdapter {
		db: {
			ensureIndex(options: { fieldName: string; unique?: boolean; sparse?: boolean }): Promise<void>;
			compactDatafileAsync(): Promise<void>;
		};
	}
}
