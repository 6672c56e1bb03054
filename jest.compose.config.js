/** The shop's docker-compose.yml stack in containers: `npm run test:compose` (scripts/docker/test.sh). */
module.exports = {
	testEnvironment: "node",
	roots: ["<rootDir>/test/compose"],
	testMatch: ["**/*.test.ts"],
	transform: { "^.+\\.ts$": "ts-jest" },
	testTimeout: 600000,
	// One stack, one file at a time.
	maxWorkers: 1,
};
