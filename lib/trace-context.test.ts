import {
	acceptRequestId,
	carrierOf,
	currentCarrier,
	formatTraceparent,
	noteOrderId,
	parseTraceparent,
	runDetached,
	runInWork,
	spanIdOf,
	traceIdOf,
	withTrace,
	workFromCarrier,
} from "./trace-context";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("trace ids", () => {
	it("uses a UUID's hex digits as the 128-bit trace id and its first 64 bits as the span id", () => {
		expect(traceIdOf("4bf92f35-77b3-4da6-a3ce-929d0e0e4736")).toBe(TRACE);
		expect(spanIdOf("4bf92f35-77b3-4da6-a3ce-929d0e0e4736")).toBe("4bf92f3577b34da6");
	});

	it("keeps an id that is already in trace or span form", () => {
		expect(traceIdOf(TRACE)).toBe(TRACE);
		expect(spanIdOf(SPAN)).toBe(SPAN);
	});

	it("hashes any other id into a valid, stable one", () => {
		expect(traceIdOf("not-a-uuid")).toMatch(/^[0-9a-f]{32}$/);
		expect(traceIdOf("not-a-uuid")).toBe(traceIdOf("not-a-uuid"));
		expect(traceIdOf("0".repeat(32))).not.toBe("0".repeat(32));
		expect(spanIdOf("x")).toMatch(/^[0-9a-f]{16}$/);
	});
});

describe("traceparent", () => {
	it("round-trips the trace id, span id and sampled flag", () => {
		const header = formatTraceparent({ traceId: TRACE, spanId: SPAN, sampled: true });
		expect(header).toBe(`00-${TRACE}-${SPAN}-01`);
		expect(parseTraceparent(header)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
		expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
	});

	it("ignores what is not a version-00 traceparent, and all-zero ids", () => {
		for (const bad of [
			undefined,
			42,
			"",
			`01-${TRACE}-${SPAN}-01`,
			`00-${TRACE}-${SPAN}`,
			`00-${"0".repeat(32)}-${SPAN}-01`,
			`00-${TRACE}-${"0".repeat(16)}-01`,
			`00-${TRACE.slice(1)}-${SPAN}-01`,
		]) {
			expect(parseTraceparent(bad)).toBeUndefined();
		}
	});
});

describe("request ids", () => {
	it("takes a client's sensible id as it is", () => {
		expect(acceptRequestId("req-123_abc:42")).toBe("req-123_abc:42");
		expect(acceptRequestId(["first", "second"])).toBe("first");
	});

	it("makes a new one for a missing, overlong or odd id", () => {
		for (const bad of [undefined, "", "a".repeat(129), "has space", 'quote"d', "new\nline"]) {
			expect(acceptRequestId(bad)).toMatch(/^[0-9a-f-]{36}$/);
		}
	});
});

describe("work context", () => {
	it("is the carrier events are published with, and comes back from it", () => {
		const work = { requestId: "req-1", traceId: TRACE, spanId: SPAN, sampled: true, orderId: "order-1" };
		const carrier = carrierOf(work);
		expect(carrier).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, requestId: "req-1" });
		expect(workFromCarrier(carrier, "order-1")).toEqual(work);
		expect(workFromCarrier(undefined)).toEqual({});
		expect(carrierOf({ requestId: "req-2" })).toEqual({ requestId: "req-2" });
		expect(carrierOf(undefined)).toBeUndefined();
	});

	it("follows the work through awaits, and a detached run leaves it behind", async () => {
		await runInWork({ requestId: "req-1", traceId: TRACE, spanId: SPAN }, async () => {
			await new Promise((resolve) => setTimeout(resolve, 1));
			noteOrderId("order-7");
			expect(withTrace({ _id: "doc" })).toEqual({ _id: "doc", trace: { traceparent: `00-${TRACE}-${SPAN}-01`, requestId: "req-1" } });
			expect(runDetached(() => currentCarrier())).toBeUndefined();
		});
		expect(currentCarrier()).toBeUndefined();
		expect(withTrace({ _id: "doc" })).toEqual({ _id: "doc" });
	});
});
