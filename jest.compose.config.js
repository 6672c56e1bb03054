/** The shop's docker-compose.yml stack in containers: `npm run test:compose` (scripts/docker/test.sh). */
module.exports = require("./jest.suite")("compose", {
	testTimeout: 600000,
	// One stack, one file at a time.
	maxWorkers: 1,
});
