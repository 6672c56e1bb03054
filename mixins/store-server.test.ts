import { judgeServer, UnsafeStoreError } from "./store-server";

// buildInfo as the servers answered it (trimmed to the fields that tell them apart).
const FERRETDB_1_24 = { version: "7.0.42", gitVersion: "unknown", versionArray: [7, 0, 42, 0], ferretdbVersion: "v1.24.0", ok: 1 };
const MONGO_JAVA_SERVER_1_47 = { version: "5.0.0", versionArray: [5, 0, 0], maxBsonObjectSize: 16777216, ok: 1 };

describe("judging the database server before the store uses it", () => {
	it("takes MongoDB-compatible servers and the embedded store as they are", () => {
		expect(judgeServer(MONGO_JAVA_SERVER_1_47, false)).toEqual({});
		expect(judgeServer({ version: "7.0.14", ok: 1 }, false)).toEqual({});
		expect(judgeServer(undefined, false)).toEqual({});
	});

	it("refuses FerretDB, saying why and how to go on", () => {
		const verdict = judgeServer(FERRETDB_1_24, false);
		expect(verdict.warn).toBeUndefined();
		expect(verdict.refuse).toMatch(/FerretDB v1\.24\.0, whose single-document updates are not atomic/);
		expect(verdict.refuse).toMatch(/MONGO_ALLOW_NON_ATOMIC=true/);
		expect(new UnsafeStoreError("catalogue", verdict.refuse!).message).toMatch(
			/^The catalogue store refuses its database server \(MONGO_URI\): The database server is FerretDB/,
		);
	});

	it("runs on FerretDB with a warning when MONGO_ALLOW_NON_ATOMIC accepts the risk", () => {
		const verdict = judgeServer(FERRETDB_1_24, true);
		expect(verdict.refuse).toBeUndefined();
		expect(verdict.warn).toMatch(/not atomic.*MONGO_ALLOW_NON_ATOMIC=true/);
	});
});
