/** The suite against real NATS, Kafka and a MongoDB-wire server: `npm run infra:up` first. */
module.exports = require("./jest.suite")("infra", {
	testTimeout: 180000,
	// The tests share one set of servers and stop parts of it on purpose: one file at a time.
	maxWorkers: 1,
});
