import os from "node:os";
import { machineMeter } from "./cpu";

describe("the machine meter", () => {
	it("counts this process's busy loop among the machine's busy cores, and never more cores than there are", () => {
		const cores = os.cpus().length;
		const meter = machineMeter();
		for (const until = Date.now() + 300; Date.now() < until;);
		const busy = meter.coresBusy();
		expect(busy).toBeGreaterThan(0.5);
		expect(busy).toBeLessThanOrEqual(cores);
	});
});
