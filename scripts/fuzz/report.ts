/*
 * Reads the reports of one `st run` (Schemathesis 4, the version scripts/fuzz/install.sh pins)
 * and judges the pass. Schemathesis fails a run on failures and errors, but not on skips, and
 * the shop's rule is that nothing is skipped; a skip shows in these places, all of them checked:
 *   - the JSON report: `operations.skipped`, and a phase whose status is "skip" (e.g. stateful
 *     "not_applicable" when the document has no links, "no_checks_ran");
 *   - the NDJSON events: a ScenarioFinished (one operation in one phase) with status "skip",
 *     e.g. "No examples in schema", "No coverage cases could be generated", "Time limit reached";
 *   - the JSON report's warnings that mean Schemathesis left operations out (method_not_allowed,
 *     unresolvable_reference);
 *   - a check that `--checks all` selected but that no request was checked with: a check that does
 *     not apply to a response returns "skip" and is then not recorded for it at all.
 * And one rule of the shop's own, read from the NDJSON events' recorded interactions: an operation
 * of ONLY_STATUSES answers nothing else to its own method.
 */

/** The phases `st run` has, in the order it runs them. */
export const PHASES = ["examples", "coverage", "fuzzing", "stateful"] as const;

/** What `--checks all` selects in Schemathesis 4.32 (`st run --help`). */
export const ALL_CHECKS = [
	"not_a_server_error",
	"status_code_conformance",
	"content_type_conformance",
	"response_headers_conformance",
	"response_schema_conformance",
	"negative_data_rejection",
	"positive_data_acceptance",
	"missing_required_header",
	"unsupported_method",
	"allow_header_conformance",
	"use_after_free",
	"ensure_resource_availability",
	"ignored_auth",
	"object_level_authorization",
] as const;

/**
 * Operations that may answer the fuzzer's requests of their own method with these statuses only
 * (another method is the unsupported_method check's: 405, or 204 to a preflight). The card
 * processor's webhook: the fuzzer cannot sign an event (it does not know PAYMENTS_WEBHOOK_SECRET),
 * so every one is refused, 400, or 413 and 415 for its size and media type; a 2xx would be an
 * unsigned event accepted, a 5xx a crash on hostile input.
 */
export const ONLY_STATUSES: Record<string, readonly number[]> = {
	"POST /webhooks/payments": [400, 413, 415],
};

/** Warnings that say Schemathesis tested less than the document describes. */
const SKIPPING_WARNINGS: Record<string, string> = {
	method_not_allowed: "left out of later phases after answering 405 throughout",
	unresolvable_reference: "had parts of their schema left out ($ref that does not resolve)",
};

/** The parts of the JSON report (`--report json`) this reads. */
export interface JsonReport {
	exit_code: number;
	complete: boolean;
	stop_reason: string;
	operations: { selected: number; tested: number; errored: number; skipped: number; skip_reasons: string[] } | null;
	phases: Record<string, { status: string; skip_reason: string | null }> | null;
	test_cases: { generated: number };
	failures: { code: string; title: string; count: number; operations: string[] }[];
	errors: { title: string; count: number }[];
	warnings: Record<string, string[]>;
}

export interface PassSummary {
	name: string;
	operations: { selected: number; tested: number };
	/** Test cases (requests) per phase, probes included. */
	cases: Record<string, number>;
	links: { selected: number; inferred: number; covered: number };
	failures: number;
	errors: number;
	/** Warnings Schemathesis gave that do not fail the pass, by kind, with the operations. */
	warnings: string[];
	/** Why the pass fails; empty when it passes. */
	problems: string[];
}

interface ScenarioFinished {
	phase: string;
	status: string;
	skip_reason?: string | null;
	recorder: {
		label: string;
		cases?: Record<string, { transition?: { id: string }; is_transition_applied?: boolean }>;
		checks?: Record<string, { name: string }[]>;
		interactions?: Record<string, { request: { method: string; uri: string }; response?: { status_code: number } | null }>;
	};
}

/** The ONLY_STATUSES rule an interaction falls under: its method, and its URL's path ending in the operation's (the document's servers add /api). */
const statusRules = Object.entries(ONLY_STATUSES).map(([operation, statuses]) => {
	const [method, template] = operation.split(" ") as [string, string];
	// Escaped, then each {param} of the template stands for one path segment.
	const pattern = new RegExp(`${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`);
	return { operation, method, pattern, statuses };
});

export function summarizePass(name: string, exitCode: number | null, report: JsonReport | undefined, ndjson: string): PassSummary {
	const problems: string[] = [];
	const cases: Record<string, number> = Object.fromEntries(PHASES.map((phase) => [phase, 0]));
	const checked = new Set<string>();
	const covered = new Set<string>();
	const links = { selected: 0, inferred: 0, covered: 0 };
	/** Answers outside ONLY_STATUSES, counted by operation and status. */
	const unexpected = new Map<string, number>();

	for (const line of ndjson.split("\n")) {
		if (!line.trim()) continue;
		const event = JSON.parse(line) as Record<string, unknown>;
		const started = event.PhaseStarted as
			{ phase: { name: string }; payload?: { transitions_selected?: number; inferred_transitions?: number } } | undefined;
		if (started?.phase.name === "stateful") {
			links.selected = started.payload?.transitions_selected ?? 0;
			links.inferred = started.payload?.inferred_transitions ?? 0;
		}
		const scenario = event.ScenarioFinished as ScenarioFinished | undefined;
		if (!scenario) continue;
		const { recorder } = scenario;
		cases[scenario.phase] = (cases[scenario.phase] ?? 0) + Object.keys(recorder.cases ?? {}).length;
		for (const node of Object.values(recorder.cases ?? {})) if (node.is_transition_applied && node.transition) covered.add(node.transition.id);
		for (const list of Object.values(recorder.checks ?? {})) for (const check of list) checked.add(check.name);
		for (const { request, response } of Object.values(recorder.interactions ?? {})) {
			const path = new URL(request.uri, "http://fuzz").pathname;
			const rule = statusRules.find((candidate) => candidate.method === request.method.toUpperCase() && candidate.pattern.test(path));
			if (!rule || (response && rule.statuses.includes(response.status_code))) continue;
			const key = `${rule.operation} answered ${response ? response.status_code : "nothing"}`;
			unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
		}
		// A stateful scenario is one Hypothesis run of the state machine: one that took no step ends
		// as "skip" with no reason and says nothing about an operation. The phase's status covers those.
		const skipped = scenario.status === "skip" && (scenario.phase !== "stateful" || scenario.skip_reason);
		if (skipped || scenario.status === "interrupted") {
			problems.push(
				`${scenario.phase}: ${recorder.label} ${scenario.status === "skip" ? "skipped" : "interrupted"}${scenario.skip_reason ? ` (${scenario.skip_reason})` : ""}`,
			);
		}
	}
	links.covered = covered.size;
	for (const [key, count] of unexpected) {
		const rule = statusRules.find((candidate) => key.startsWith(`${candidate.operation} `))!;
		problems.push(`${key} ×${count} (only ${rule.statuses.join(", ")} are allowed)`);
	}

	if (exitCode !== 0) problems.push(`st exited with ${exitCode}`);
	if (!report) {
		problems.push("st wrote no JSON report");
		return { name, operations: { selected: 0, tested: 0 }, cases, links, failures: 0, errors: 0, warnings: [], problems };
	}
	for (const failure of report.failures) problems.push(`${failure.code} ${failure.title} ×${failure.count}: ${failure.operations.join(", ")}`);
	for (const error of report.errors) problems.push(`error: ${error.title} ×${error.count}`);
	const operations = report.operations ?? { selected: 0, tested: 0, errored: 0, skipped: 0, skip_reasons: [] };
	const failures = report.failures.reduce((sum, failure) => sum + failure.count, 0);
	const errors = report.errors.reduce((sum, error) => sum + error.count, 0);
	const summary = {
		name,
		operations: { selected: operations.selected, tested: operations.tested },
		cases,
		links,
		failures,
		errors,
		warnings: [] as string[],
		problems,
	};
	// A run that stopped early (the document did not load, the shop went away, Ctrl-C) skipped
	// everything after that point; its errors say why, and listing each skip would only bury them.
	if (!report.complete) {
		problems.push(`the run did not complete (${report.stop_reason})`);
		return summary;
	}
	if (operations.selected === 0) problems.push("the document has no operations");
	if (operations.skipped > 0) problems.push(`${operations.skipped} operation(s) skipped (${operations.skip_reasons.join("; ") || "no reason given"})`);
	for (const phase of PHASES) {
		const outcome = report.phases?.[phase];
		if (!outcome) problems.push(`phase ${phase} did not run`);
		else if (outcome.status === "skip" || outcome.status === "interrupted")
			problems.push(`phase ${phase} ${outcome.status === "skip" ? "skipped" : "interrupted"}${outcome.skip_reason ? ` (${outcome.skip_reason})` : ""}`);
	}
	for (const check of ALL_CHECKS) if (!checked.has(check)) problems.push(`check ${check} was skipped for every request`);

	for (const [kind, labels] of Object.entries(report.warnings)) {
		if (labels.length === 0) continue;
		if (SKIPPING_WARNINGS[kind]) problems.push(`${labels.join(", ")} ${SKIPPING_WARNINGS[kind]}`);
		else summary.warnings.push(`${kind}: ${labels.join(", ")}`);
	}
	return summary;
}

export function formatSummary(pass: PassSummary): string {
	const total = Object.values(pass.cases).reduce((sum, n) => sum + n, 0);
	const lines = [
		`${pass.problems.length === 0 ? "PASS" : "FAIL"} ${pass.name}: ${pass.operations.tested}/${pass.operations.selected} operations tested, ${pass.failures} failures, ${pass.errors} errors`,
		`  test cases: ${PHASES.map((phase) => `${phase} ${pass.cases[phase] ?? 0}`).join(", ")} (${total} in all)`,
		`  links: ${pass.links.covered} covered of ${pass.links.selected} (${pass.links.inferred} inferred)`,
		...pass.warnings.map((warning) => `  warning ${warning}`),
		...pass.problems.map((problem) => `  ✗ ${problem}`),
	];
	return lines.join("\n");
}
