import { CAS_ATTEMPTS, CONFLICT, compareAndSet } from "./compare-and-set";

describe("compareAndSet", () => {
	it("answers what the first step that did not conflict answered", async () => {
		const answers = [CONFLICT, CONFLICT, "written"] as const;
		let calls = 0;
		await expect(
			compareAndSet(
				async () => answers[calls++]!,
				() => "gave up",
			),
		).resolves.toBe("written");
		expect(calls).toBe(3);
	});

	it("takes a step's null or undefined as its answer, not as a conflict", async () => {
		await expect(
			compareAndSet(
				async () => null,
				() => "gave up",
			),
		).resolves.toBeNull();
		await expect(
			compareAndSet(
				async () => undefined,
				() => "gave up",
			),
		).resolves.toBeUndefined();
	});

	it("stops after the given attempts and answers what exhausted gives, or throws what it throws", async () => {
		let calls = 0;
		await expect(
			compareAndSet(
				async () => (calls++, CONFLICT),
				() => "gave up",
			),
		).resolves.toBe("gave up");
		expect(calls).toBe(CAS_ATTEMPTS);
		await expect(
			compareAndSet(
				async () => CONFLICT,
				() => {
					throw new Error("kept changing");
				},
				2,
			),
		).rejects.toThrow("kept changing");
	});

	it("passes a step's error on at once, without trying again", async () => {
		let calls = 0;
		await expect(
			compareAndSet(
				async () => {
					calls++;
					throw new Error("store down");
				},
				() => "gave up",
			),
		).rejects.toThrow("store down");
		expect(calls).toBe(1);
	});
});
