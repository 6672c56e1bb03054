import { http, startShop, type TestShop } from "../helpers/shop";
import { LINGERING_BYTES, LINGERING_MS } from "../../services/api/lingering-close";
import { keepSending, sendWholeThenRead, type BlockingOutcome } from "../helpers/body-senders";

/*
 * A body over the limit is refused with 413 as soon as the gateway knows, usually while the
 * client is still sending it. Every client must get to read that answer, also one that writes
 * its whole request before it reads anything; and no client may hold the connection for longer,
 * or make the node read more, than the lingering bounds allow.
 */

const CLIENTS = 30;
const FIVE_MB = 5 * 1024 * 1024;
const bigBody = Buffer.from(JSON.stringify({ email: "big@example.com", password: "long-enough-pw", name: "x".repeat(FIVE_MB) }));

/** What each client read, in a form that shows what went wrong when one did not read a 413. */
const answers = (outcomes: BlockingOutcome[]) => outcomes.map(({ status, json, error }) => ({ status, type: json?.error?.type, error }));
const allRefusedAsTooLarge = (count: number) => Array.from({ length: count }, () => ({ status: 413, type: "PAYLOAD_TOO_LARGE", error: undefined }));

describe("answering a body over the limit (lingering close)", () => {
	let shop: TestShop;
	beforeAll(async () => {
		shop = await startShop({ env: { BODY_LIMIT: "64kb" } });
	});
	afterAll(() => shop.destroy());

	it(`lets each of ${CLIENTS} clients that write all 5 MB before reading anything read its 413`, async () => {
		const outcomes = await Promise.all(Array.from({ length: CLIENTS }, () => sendWholeThenRead(shop.baseUrl, { path: "/auth/register", body: bigBody })));
		expect(answers(outcomes)).toEqual(allRefusedAsTooLarge(CLIENTS));
		expect((await http(shop.baseUrl).get("/health")).status).toBe(200);
	});

	it("lets clients that send 5 MB chunked, refused once the body passes the limit, read their 413", async () => {
		const outcomes = await Promise.all(
			Array.from({ length: 10 }, () => sendWholeThenRead(shop.baseUrl, { path: "/auth/register", body: bigBody, chunkBytes: 16 * 1024 })),
		);
		expect(answers(outcomes)).toEqual(allRefusedAsTooLarge(10));
		expect((await http(shop.baseUrl).get("/health")).status).toBe(200);
	});

	it("closes on a client that keeps sending slowly once the lingering time is over, not before", async () => {
		const outcome = await keepSending(shop.baseUrl, { path: "/auth/register", declaredLength: 100 * 1024 * 1024, bytes: 16, everyMs: 100 });
		expect({ status: outcome.status, type: outcome.json?.error?.type }).toEqual({ status: 413, type: "PAYLOAD_TOO_LARGE" });
		expect(outcome.answeredAfterMs).toBeLessThan(1000);
		expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(LINGERING_MS * 0.9);
		expect(outcome.closedAfterMs).toBeLessThan(LINGERING_MS + 2000);
		expect((await http(shop.baseUrl).get("/health")).status).toBe(200);
	});

	it("bounds the same way a body refused before it is read for another reason (415), instead of reading it for minutes", async () => {
		// 60 kB, under the limit, at 160 bytes a second: six minutes of sending.
		const outcome = await keepSending(shop.baseUrl, {
			path: "/auth/register",
			declaredLength: 60 * 1024,
			bytes: 16,
			everyMs: 100,
			contentType: "text/plain",
		});
		expect({ status: outcome.status, type: outcome.json?.error?.type }).toEqual({ status: 415, type: "UNSUPPORTED_MEDIA_TYPE" });
		expect(outcome.answeredAfterMs).toBeLessThan(1000);
		expect(outcome.closedAfterMs).toBeLessThan(LINGERING_MS + 2000);
		expect((await http(shop.baseUrl).get("/health")).status).toBe(200);
	});

	it("closes on a client that sends without end once it has sent the lingering byte limit, not before", async () => {
		const outcome = await keepSending(shop.baseUrl, { path: "/auth/register", declaredLength: 1024 * 1024 * 1024, bytes: 64 * 1024, everyMs: 0 });
		expect({ status: outcome.status, type: outcome.json?.error?.type }).toEqual({ status: 413, type: "PAYLOAD_TOO_LARGE" });
		// The kernel's buffers on both sides take some more than the gateway reads.
		expect(outcome.bodyBytesWritten).toBeGreaterThanOrEqual(LINGERING_BYTES);
		expect(outcome.bodyBytesWritten).toBeLessThan(LINGERING_BYTES + 64 * 1024 * 1024);
		expect(outcome.closedAfterMs).toBeLessThan(LINGERING_MS);
		expect((await http(shop.baseUrl).get("/health")).status).toBe(200);
	});
});
