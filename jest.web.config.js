/**
 * The storefront in a real browser (npm run test:web): Debian's Chromium, headless, driven by
 * playwright-core, against the embedded shop serving the built web app (web/dist).
 */
module.exports = {
	testEnvironment: "node",
	roots: ["<rootDir>/test/web"],
	testMatch: ["**/*.test.ts"],
	transform: { "^.+\\.ts$": "ts-jest" },
	testTimeout: 120000,
};
