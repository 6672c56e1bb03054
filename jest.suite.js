/**
 * What the suites outside `npm test` share: the TypeScript tests in one folder under test/, run by
 * ts-jest. Each suite's config names its folder and adds what is its own.
 */
module.exports = function suite(folder, own = {}) {
	return {
		testEnvironment: "node",
		roots: [`<rootDir>/test/${folder}`],
		testMatch: ["**/*.test.ts"],
		transform: { "^.+\\.ts$": "ts-jest" },
		...own,
	};
};
