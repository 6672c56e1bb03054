import { spawn } from "node:child_process";
import { cpuMs } from "./cpu";
import { cpuBudgets, throttlingBetween } from "./cgroup";

describe("a node's throttling between two readings", () => {
	it("is told apart by process, also when two phases' nodes share a label", () => {
		const before = [
			{ label: "orders#1", pid: 10, periods: 500, throttledPeriods: 400, throttledMs: 9000 },
			{ label: "orders#1", pid: 20, periods: 5, throttledPeriods: 1, throttledMs: 10 },
		];
		const after = [{ label: "orders#1", pid: 20, periods: 105, throttledPeriods: 91, throttledMs: 810 }];
		expect(throttlingBetween(before, after)).toEqual([{ label: "orders#1", pid: 20, periods: 100, throttledPeriods: 90, throttledMs: 800 }]);
	});
});

describe("CPU budgets", () => {
	it("hold a busy process to its budget where this machine gives cgroups, and say why where it does not", async () => {
		const budgets = cpuBudgets(`test-${process.pid}`);
		if (typeof budgets === "string") {
			// Not root, or no cpu controller: the bench runs its nodes uncapped and prints this.
			expect(budgets).toMatch(/root|cgroup|Linux/);
			return;
		}
		const busy = spawn(process.execPath, ["-e", "const end = Date.now() + 1500; while (Date.now() < end);"]);
		try {
			budgets.limit(busy.pid!, "busy#1", 0.2);
			const exited = new Promise((resolve) => busy.once("exit", resolve));
			const startedAt = Date.now();
			// Read just before it ends: a fifth of a core for about 1.5 s is about 300 ms of CPU.
			await new Promise((resolve) => setTimeout(resolve, 1400));
			const used = cpuMs(busy.pid)!;
			const elapsed = Date.now() - startedAt;
			expect(used).toBeLessThan(elapsed * 0.35);
			const [throttled] = budgets.throttling([busy.pid!]);
			expect(throttled).toMatchObject({ label: "busy#1", pid: busy.pid });
			expect(throttled!.throttledPeriods).toBeGreaterThan(0);
			await exited;
		} finally {
			busy.kill("SIGKILL");
			await new Promise((resolve) => setTimeout(resolve, 100));
			expect(budgets.release()).toEqual([]);
		}
	});
});
