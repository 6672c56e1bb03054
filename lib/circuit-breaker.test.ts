import { CircuitBreaker, type BreakerState } from "./circuit-breaker";

describe("the circuit breaker", () => {
	let now = 0;
	const changes: BreakerState[] = [];
	const breaker = () => new CircuitBreaker({ failures: 3, openMs: 1000, onChange: (state) => changes.push(state) }, () => now);
	const down = () => Promise.reject(new Error("down"));
	const up = () => Promise.resolve("ok");
	const refused = Object.assign(new Error("refused"), { countsAsFailure: false });
	const isFailure = (err: unknown) => (err as { countsAsFailure?: boolean }).countsAsFailure !== false;
	const open = () => new Error("OPEN");
	beforeEach(() => {
		now = 0;
		changes.length = 0;
	});

	it("opens after the given failures in a row and then fails at once without calling", async () => {
		const b = breaker();
		for (let i = 0; i < 3; i++) await expect(b.run(down, isFailure, open)).rejects.toThrow("down");
		expect(b.state).toBe("open");
		const call = jest.fn(up);
		await expect(b.run(call, isFailure, open)).rejects.toThrow("OPEN");
		expect(call).not.toHaveBeenCalled();
		expect(changes).toEqual(["open"]);
	});

	it("counts only failures in a row: a success between them starts the count again", async () => {
		const b = breaker();
		await expect(b.run(down, isFailure, open)).rejects.toThrow();
		await expect(b.run(down, isFailure, open)).rejects.toThrow();
		await b.run(up, isFailure, open);
		await expect(b.run(down, isFailure, open)).rejects.toThrow();
		expect(b.state).toBe("closed");
	});

	it("does not count errors that are the caller's (a refusal is an answer)", async () => {
		const b = breaker();
		for (let i = 0; i < 5; i++) await expect(b.run(() => Promise.reject(refused), isFailure, open)).rejects.toThrow("refused");
		expect(b.state).toBe("closed");
	});

	it("lets one trial call through once open for its time: a success closes it, a failure opens it again", async () => {
		const b = breaker();
		for (let i = 0; i < 3; i++) await expect(b.run(down, isFailure, open)).rejects.toThrow();
		now = 1000;
		expect(b.state).toBe("half-open");
		await expect(b.run(down, isFailure, open)).rejects.toThrow("down");
		expect(b.state).toBe("open");
		now = 2000;
		let release!: () => void;
		const trial = b.run(() => new Promise<string>((resolve) => (release = () => resolve("ok"))), isFailure, open);
		// While the trial is out, others still fail at once.
		await expect(b.run(up, isFailure, open)).rejects.toThrow("OPEN");
		release();
		await expect(trial).resolves.toBe("ok");
		expect(b.state).toBe("closed");
		expect(changes).toEqual(["open", "open", "closed"]);
	});
});
