import "moleculer-db";

// The NeDB adapter keeps its datastore on `db` but its typings do not say so; the store mixin
// needs it to declare (and drop) indexes and compact the file on shutdown.
declare module "moleculer-db" {
	interface MemoryAdapter {
		db: {
			indexes: Record<string, { sparse: boolean } | undefined>;
			ensureIndexAsync(options: { fieldName: string; unique?: boolean; sparse?: boolean }): Promise<void>;
			removeIndexAsync(fieldName: string): Promise<void>;
			compactDatafileAsync(): Promise<void>;
			updateAsync(query: object, update: object, options: { multi: boolean }): Promise<{ numAffected: number }>;
		};
	}
}

// The Mongo adapter keeps its driver database handle on `db`; the store mixin asks the server
// what it is (buildInfo) through it.
declare module "moleculer-db-adapter-mongo" {
	export default interface MongoDbAdapter {
		db: { admin(): { command(command: Record<string, unknown>): Promise<Record<string, unknown>> } };
	}
}
