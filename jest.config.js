/** Unit tests sit next to the code they test; tests that start brokers or servers live under test/. */
module.exports = {
	testEnvironment: "node",
	roots: ["<rootDir>/lib", "<rootDir>/services", "<rootDir>/mixins", "<rootDir>/scripts", "<rootDir>/test"],
	testMatch: ["**/*.test.ts"],
	// test/infra needs the servers of `npm run infra:up`, test/deploy the files `npm run check:deploy`
	// renders, test/compose the containers of `npm run test:compose`, test/web a built web app and
	// Chromium (`npm run test:web`).
	testPathIgnorePatterns: ["/node_modules/", "/dist/", "<rootDir>/test/infra/", "<rootDir>/test/deploy/", "<rootDir>/test/compose/", "<rootDir>/test/web/"],
	transform: {
		// tsconfig's isolatedModules makes ts-jest transpile only; `npm test` type-checks once with tsc first.
		"^.+\\.ts$": "ts-jest",
	},
	testTimeout: 30000,
};
