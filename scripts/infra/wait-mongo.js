// Waits until a MongoDB-wire server answers a ping, for scripts that must not race its start-up.
// Usage: node scripts/infra/wait-mongo.js [uri] [timeoutSeconds]
// (uri defaults to $MONGO_URI, then mongodb://127.0.0.1:27017; timeout to 60 s). Exit code 0 once
// it answers, 1 when the deadline passes. Uses the mongodb driver the shop itself runs (3.7, via
// moleculer-db-adapter-mongo), so "ready" means ready for the shop's own client.
"use strict";

let MongoClient;
try {
	({ MongoClient } = require("mongodb"));
} catch (err) {
	console.error("wait-mongo: the mongodb package is missing; run `npm ci` first");
	process.exit(1);
}

const uri = process.argv[2] || process.env.MONGO_URI || "mongodb://127.0.0.1:27017";
const timeoutSeconds = Number(process.argv[3] || 60);
const deadline = Date.now() + timeoutSeconds * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function pingOnce() {
	// A fresh client per attempt: a 3.x client whose first connect failed is not reused safely.
	const client = new MongoClient(uri, { useUnifiedTopology: true, serverSelectionTimeoutMS: 1000 });
	try {
		await client.connect();
		await client.db("admin").command({ ping: 1 });
	} finally {
		await client.close().catch(() => {});
	}
}

(async () => {
	let lastError;
	do {
		try {
			await pingOnce();
			return;
		} catch (err) {
			lastError = err;
			await sleep(500);
		}
	} while (Date.now() < deadline);
	console.error(`wait-mongo: no answer from ${uri} within ${timeoutSeconds}s: ${lastError && lastError.message}`);
	process.exit(1);
})();
