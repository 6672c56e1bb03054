import { ALL_CHECKS, PHASES, formatSummary, summarizePass, type JsonReport } from "./report";

/* Reports shaped as Schemathesis 4.32 writes them (fields this does not read left out). */

function report(overrides: Partial<JsonReport> = {}): JsonReport {
	return {
		exit_code: 0,
		complete: true,
		stop_reason: "completed",
		operations: { selected: 1, tested: 1, errored: 0, skipped: 0, skip_reasons: [] },
		phases: Object.fromEntries(PHASES.map((phase) => [phase, { status: "success", skip_reason: null }])),
		test_cases: { generated: 4 },
		failures: [],
		errors: [],
		warnings: { missing_auth: [], method_not_allowed: [] },
		...overrides,
	};
}

/** One operation in one phase; a skipped one has no cases, as Schemathesis writes it. */
function scenario(phase: string, status: string, options: { checks?: readonly string[]; skipReason?: string; cases?: number; link?: string } = {}): string {
	const { checks = ALL_CHECKS, cases = 1 } = options;
	const ids = Array.from({ length: cases }, (_, i) => `case${i}`);
	const recorder =
		status === "skip"
			? { label: phase === "stateful" ? "Stateful tests" : "GET /health" }
			: {
					label: "GET /health",
					cases: Object.fromEntries(
						ids.map((id) => [
							id,
							options.link ? { transition: { id: options.link }, is_transition_applied: true } : { is_transition_applied: false },
						]),
					),
					checks: Object.fromEntries(ids.map((id) => [id, checks.map((name) => ({ name, status: "success" }))])),
				};
	return JSON.stringify({ ScenarioFinished: { phase, status, ...(options.skipReason ? { skip_reason: options.skipReason } : {}), recorder } });
}

const stateful = JSON.stringify({
	PhaseStarted: { phase: { name: "stateful" }, payload: { inferred_transitions: 1, transitions_total: 2, transitions_selected: 2 } },
});
const clean = [
	stateful,
	scenario("examples", "success"),
	scenario("coverage", "success", { cases: 3 }),
	scenario("fuzzing", "success", { cases: 2 }),
	scenario("stateful", "success", { link: "GET /a -> [200] L -> GET /b" }),
];

describe("summarizePass", () => {
	it("passes a run with every phase, operation and check, and counts the cases per phase and the links followed", () => {
		const pass = summarizePass("anonymous", 0, report(), clean.join("\n"));
		expect(pass.problems).toEqual([]);
		expect(pass.cases).toEqual({ examples: 1, coverage: 3, fuzzing: 2, stateful: 1 });
		expect(pass.links).toEqual({ selected: 2, inferred: 1, covered: 1 });
		expect(formatSummary(pass)).toMatch(/^PASS anonymous: 1\/1 operations tested, 0 failures, 0 errors\n/);
	});

	it("fails on Schemathesis's own failures and errors", () => {
		const failures = [{ code: "ST108", title: "Response violates schema", count: 2, operations: ["GET /orders/{id}"] }];
		const pass = summarizePass("customer", 1, report({ exit_code: 1, failures, errors: [{ title: "Schema Error", count: 1 }] }), clean.join("\n"));
		expect(pass.problems).toEqual(["st exited with 1", "ST108 Response violates schema ×2: GET /orders/{id}", "error: Schema Error ×1"]);
		expect(pass.failures).toBe(2);
		expect(pass.errors).toBe(1);
	});

	it("fails on an operation skipped in one phase, though Schemathesis exits 0", () => {
		const pass = summarizePass("admin", 0, report(), [...clean, scenario("examples", "skip", { skipReason: "No examples in schema" })].join("\n"));
		expect(pass.problems).toEqual(["examples: GET /health skipped (No examples in schema)"]);
	});

	it("ignores a stateful run that took no step, but not a skipped stateful phase", () => {
		expect(summarizePass("admin", 0, report(), [...clean, scenario("stateful", "skip")].join("\n")).problems).toEqual([]);
		const phases = { ...report().phases!, stateful: { status: "skip", skip_reason: "not_applicable" } };
		expect(summarizePass("admin", 0, report({ phases }), clean.join("\n")).problems).toEqual(["phase stateful skipped (not_applicable)"]);
	});

	it("fails on skipped operations and on a check that applied to no request", () => {
		const operations = { selected: 2, tested: 1, errored: 0, skipped: 1, skip_reasons: ["No checks ran"] };
		const events = [stateful, scenario("fuzzing", "success", { checks: ALL_CHECKS.filter((check) => check !== "ignored_auth") })];
		expect(summarizePass("anonymous", 0, report({ operations }), events.join("\n")).problems).toEqual([
			"1 operation(s) skipped (No checks ran)",
			"check ignored_auth was skipped for every request",
		]);
	});

	it("fails on the warnings that mean operations were left out, and only reports the others", () => {
		const warnings = { missing_auth: ["GET /me"], method_not_allowed: ["DELETE /orders/{id}"] };
		const pass = summarizePass("anonymous", 0, report({ warnings }), clean.join("\n"));
		expect(pass.problems).toEqual(["DELETE /orders/{id} left out of later phases after answering 405 throughout"]);
		expect(pass.warnings).toEqual(["missing_auth: GET /me"]);
	});

	it("fails when the processor's webhook answers its POSTs with anything but 400, 413 or 415; other methods are another check's", () => {
		const webhook = (interactions: [method: string, status: number | null][]) =>
			JSON.stringify({
				ScenarioFinished: {
					phase: "fuzzing",
					status: "success",
					recorder: {
						label: "POST /webhooks/payments",
						interactions: Object.fromEntries(
							interactions.map(([method, status], i) => [
								`case${i}`,
								{
									request: { method, uri: "http://127.0.0.1:1/api/webhooks/payments" },
									response: status === null ? null : { status_code: status },
								},
							]),
						),
					},
				},
			});
		const refused = webhook([
			["POST", 400],
			["POST", 413],
			["POST", 415],
			["GET", 405],
			["OPTIONS", 204],
		]);
		expect(summarizePass("anonymous", 0, report(), [...clean, refused].join("\n")).problems).toEqual([]);
		const accepted = webhook([
			["POST", 200],
			["POST", 200],
			["POST", 500],
			["POST", null],
		]);
		expect(summarizePass("anonymous", 0, report(), [...clean, accepted].join("\n")).problems).toEqual([
			"POST /webhooks/payments answered 200 ×2 (only 400, 413, 415 are allowed)",
			"POST /webhooks/payments answered 500 ×1 (only 400, 413, 415 are allowed)",
			"POST /webhooks/payments answered nothing ×1 (only 400, 413, 415 are allowed)",
		]);
	});

	it("fails when st wrote no report, or on why a run stopped early without listing what that skipped", () => {
		expect(summarizePass("anonymous", 1, undefined, "").problems).toEqual(["st exited with 1", "st wrote no JSON report"]);
		const stopped = report({
			exit_code: 2,
			complete: false,
			stop_reason: "error",
			operations: null,
			phases: null,
			errors: [{ title: "Schema Loading Error", count: 1 }],
		});
		expect(summarizePass("anonymous", 2, stopped, "").problems).toEqual([
			"st exited with 2",
			"error: Schema Loading Error ×1",
			"the run did not complete (error)",
		]);
	});
});
