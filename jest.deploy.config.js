/** The deployment files as their tools render them: run by `npm run check:deploy`, which renders first. */
module.exports = {
	testEnvironment: "node",
	roots: ["<rootDir>/test/deploy"],
	testMatch: ["**/*.test.ts"],
	transform: { "^.+\\.ts$": "ts-jest" },
};
