/**
 * Every test suite of the shop, one Jest project each, picked by its name:
 *
 *   jest                           unit: unit tests beside the code, test/integration, test/e2e (npm test)
 *   jest --selectProjects web      the storefront in headless Chromium against the built web app (npm run test:web)
 *   jest --selectProjects infra    against real NATS, Kafka and a MongoDB-wire server (npm run infra:up, then npm run test:infra)
 *   jest --selectProjects deploy   the deployment files as their tools render them (npm run check:deploy renders them first)
 *   jest --selectProjects compose  docker-compose.yml's stack in containers (npm run test:compose)
 *
 * Without --selectProjects (or --ignoreProjects) only unit runs, as a bare `jest` always has: the
 * other suites need a browser, servers, rendered files or containers that a plain run lacks.
 * Jest reads every word after --selectProjects as one more project name, so a test file goes
 * before it or after `--`: `npx jest test/infra/failover.test.ts --selectProjects infra`, or
 * `npm run test:infra -- -- test/infra/failover.test.ts` (flags such as `-t` may go anywhere).
 */
const SUITES = {
	unit: {
		// Unit tests sit next to the code they test; tests that start brokers or servers live under test/.
		roots: ["lib", "services", "mixins", "scripts", "test"],
		// The other suites' folders under test/.
		testPathIgnorePatterns: [
			"/node_modules/",
			"/dist/",
			"<rootDir>/test/infra/",
			"<rootDir>/test/deploy/",
			"<rootDir>/test/compose/",
			"<rootDir>/test/web/",
		],
		testTimeout: 30000,
	},
	web: { roots: ["test/web"], testTimeout: 120000 },
	// The tests share one set of servers and stop parts of it on purpose: one file at a time.
	infra: { roots: ["test/infra"], testTimeout: 180000, maxWorkers: 1 },
	deploy: { roots: ["test/deploy"] },
	// One stack, one file at a time.
	compose: { roots: ["test/compose"], testTimeout: 600000, maxWorkers: 1 },
};

/** The names given to a Jest option that takes a list (`--flag a b`, `--flag=a`), as Jest's own parser reads them. */
function namesGiven(flag, argv = process.argv.slice(2)) {
	const kebab = flag.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
	const names = [];
	for (let i = 0; i < argv.length; i++) {
		const [option, value] = argv[i].split(/=(.*)/s);
		if (option !== flag && option !== kebab) continue;
		if (value !== undefined) names.push(value);
		else while (i + 1 < argv.length && !argv[i + 1].startsWith("-")) names.push(argv[++i]);
	}
	return names;
}

const selected = namesGiven("--selectProjects");
const ignored = namesGiven("--ignoreProjects");
// Jest would run the suite and drop a file taken for a project name without a word.
for (const name of [...selected, ...ignored]) {
	if (!(name in SUITES)) {
		throw new Error(
			`jest.config.js: "${name}" is not a suite (${Object.keys(SUITES).join(", ")}). Jest reads every word after --selectProjects ` +
				`as a project name: put a test file before it (npx jest ${name} --selectProjects infra) or after \`--\` (npm run test:infra -- -- ${name}).`,
		);
	}
}
const chosen =
	selected.length > 0 || ignored.length > 0
		? Object.keys(SUITES).filter((name) => (selected.length === 0 || selected.includes(name)) && !ignored.includes(name))
		: ["unit"];

function project(name) {
	const { roots, testPathIgnorePatterns } = SUITES[name];
	return {
		displayName: name,
		rootDir: __dirname,
		testEnvironment: "node",
		roots: roots.map((root) => `<rootDir>/${root}`),
		testMatch: ["**/*.test.ts"],
		...(testPathIgnorePatterns && { testPathIgnorePatterns }),
		transform: {
			// tsconfig's isolatedModules makes ts-jest transpile only; `npm test` type-checks once with tsc first.
			"^.+\\.ts$": "ts-jest",
		},
	};
}

// Jest 29 reads testTimeout and maxWorkers for the whole run, not per project, so they are the
// chosen suites': the longest timeout (Jest's default, 5 s, where a suite sets none) and the
// fewest workers.
const timeouts = chosen.map((name) => SUITES[name].testTimeout).filter((timeout) => timeout !== undefined);
const workers = chosen.map((name) => SUITES[name].maxWorkers).filter((count) => count !== undefined);

module.exports = {
	// With names given, every suite is a project and Jest's --selectProjects or --ignoreProjects picks.
	projects: selected.length > 0 || ignored.length > 0 ? Object.keys(SUITES).map(project) : [project("unit")],
	...(timeouts.length > 0 && { testTimeout: Math.max(...timeouts) }),
	...(workers.length > 0 && { maxWorkers: Math.min(...workers) }),
};
