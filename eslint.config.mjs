// @ts-check
import { readdirSync } from "node:fs";
import { defineConfig } from "eslint/config";
import eslintConfigPrettier from "eslint-config-prettier/flat";
import tseslint from "typescript-eslint";

/*
 * ESLint for the TypeScript sources: typescript-eslint's type-aware recommended rules, then the
 * rule that keeps services apart, then eslint-config-prettier last so that no rule argues with
 * the formatter. `npm run lint` runs it; .ci/run fails on any error.
 */

/** Every folder under services/ is one service; a new one is covered without editing this file. */
const SERVICES = readdirSync(new URL("./services/", import.meta.url), { withFileTypes: true })
	.filter((entry) => entry.isDirectory())
	.map((entry) => entry.name)
	.sort();

/**
 * Services talk to each other only through the broker (actions and events typed in contracts/);
 * code they share lives in lib/, contracts/ or mixins/. So nothing under services/<name>/ may
 * import from another service's folder, however the relative path reaches it: `../<other>/x`
 * from the service's root, `../../<other>/x` from a subfolder (services/api/openapi/), or a
 * path through `services/<other>/`.
 *
 * The rule holds for the unit tests beside the code too; a test that needs several services
 * (the gateway's OpenAPI document against every service's actions) lives under test/.
 */
function serviceBoundary(service) {
	const others = SERVICES.filter((name) => name !== service);
	return {
		files: [`services/${service}/**/*.ts`],
		rules: {
			"no-restricted-imports": [
				"error",
				{
					patterns: [
						{
							regex: `^(\\.\\./)+(services/)?(${others.join("|")})(/|$)`,
							message: `services/${service} must not import another service's code: call it through the broker, or move what both need into lib/, contracts/ or mixins/.`,
						},
					],
				},
			],
		},
	};
}

/** Rules that flag every use of a value typed `any`. */
const NO_UNSAFE = [
	"@typescript-eslint/no-unsafe-argument",
	"@typescript-eslint/no-unsafe-assignment",
	"@typescript-eslint/no-unsafe-call",
	"@typescript-eslint/no-unsafe-member-access",
	"@typescript-eslint/no-unsafe-return",
];

export default defineConfig(
	{
		// Build output, installed packages, the servers' data and state, rendered deployment files,
		// and the web app's API types, which openapi-typescript generates (npm run build:web).
		// The .js/.mjs files (jest's and ESLint's configuration, scripts/infra/wait-mongo.js) are
		// outside tsconfig.json, so the type-aware rules cannot read them.
		ignores: [
			"dist/",
			"web/dist/",
			"web/src/api/schema.d.ts",
			"node_modules/",
			"coverage/",
			"data/",
			".infra*/",
			".deploy-check/",
			"**/*.js",
			"**/*.cjs",
			"**/*.mjs",
		],
	},
	{
		files: ["**/*.ts", "**/*.tsx"],
		extends: [tseslint.configs.recommendedTypeChecked],
		languageOptions: {
			parserOptions: {
				// tsconfig.json covers moleculer.config.ts, lib, contracts, mixins, services, scripts,
				// types and test, and web/tsconfig.json the web app (DOM, JSX), so every linted file
				// has its types.
				projectService: true,
				tsconfigRootDir: import.meta.dirname,
			},
		},
		linterOptions: {
			reportUnusedDisableDirectives: "error",
		},
		rules: {
			// What this lint is for (recommendedTypeChecked has them already; named so they stay errors).
			"@typescript-eslint/no-floating-promises": "error",
			"@typescript-eslint/no-misused-promises": "error",
			"@typescript-eslint/await-thenable": "error",
			// A deliberately unused name starts with an underscore; tsc's noUnusedLocals and
			// noUnusedParameters refuse the rest as well.
			"@typescript-eslint/no-unused-vars": [
				"error",
				{
					args: "after-used",
					argsIgnorePattern: "^_",
					varsIgnorePattern: "^_",
					caughtErrors: "all",
					caughtErrorsIgnorePattern: "^_",
					destructuredArrayIgnorePattern: "^_",
					ignoreRestSiblings: true,
				},
			],

			// A `let` that a closure reads before its one assignment (test/integration/health.test.ts)
			// cannot be a const.
			"prefer-const": ["error", { ignoreReadBeforeAssign: true }],

			// Relaxed from recommendedTypeChecked, for this codebase:
			//
			// Off: the `!` after index accesses (`match[1]!`, `args[0]!`, about 170 of them) are written
			// as if tsconfig had noUncheckedIndexedAccess; without it the rule calls each one
			// unnecessary. They cost nothing, and are needed if that flag is ever turned on.
			"@typescript-eslint/no-unnecessary-type-assertion": "off",
			// Off: every hit was a function that does not use `this` (kafkajs's eachBatch payload
			// functions, the code's own `{ stop }` closures, NeDB's storage functions kept to wrap
			// them) or a logger method called with .call(logger); none was a lost `this`.
			"@typescript-eslint/unbound-method": "off",
			// Off: an async function without await is how the code returns a promise where an
			// interface wants one (Moleculer's lifecycle handlers, kafkajs's eachBatch) or turns a throw
			// into a rejection. A forgotten await is no-floating-promises' business.
			"@typescript-eslint/require-await": "off",
			// Warnings, not errors: Moleculer's typings give `any` to the parameters of methods a
			// ServiceSchema declares (its methods type has an index signature) and to what mixins see on
			// `this`, so these fire where the framework's types end rather than at mistakes. What is
			// left is in mixins/ (the store mixin's life cycle, the outbox's publish); typing those
			// would let these become errors.
			...Object.fromEntries(NO_UNSAFE.map((rule) => [rule, "warn"])),
		},
	},
	{
		// Tests: parsed JSON bodies, fixtures and mocks are `any` by nature (about 35 explicit
		// `any`s and 400 uses of `any` values in test/ and *.test.ts).
		files: ["**/*.test.ts", "test/**/*.ts"],
		rules: {
			"@typescript-eslint/no-explicit-any": "off",
			...Object.fromEntries(NO_UNSAFE.map((rule) => [rule, "off"])),
		},
	},
	{
		// Declaration merging must repeat Moleculer's type parameters, used or not.
		files: ["**/*.d.ts"],
		rules: {
			"@typescript-eslint/no-unused-vars": "off",
		},
	},
	{
		// The web app reaches the shop only through the API: its types come from the OpenAPI
		// document (web/src/api/schema.d.ts), never from the server's code.
		files: ["web/**/*.ts", "web/**/*.tsx"],
		rules: {
			"no-restricted-imports": [
				"error",
				{
					patterns: [
						{
							regex: "^(\\.\\./)+(contracts|lib|mixins|services|scripts)(/|$)",
							message: "The web app talks to the shop through its API: use the types generated from the OpenAPI document (web/src/api/types.ts).",
						},
					],
				},
			],
		},
	},
	...SERVICES.map(serviceBoundary),
	eslintConfigPrettier,
);
