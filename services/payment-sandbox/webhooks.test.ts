import type { PaymentSandbox } from "./sandbox";
import { call, intentWith, startSandbox, waitFor, WebhookReceiver, type ReceivedWebhook } from "./test-harness";

let receiver: WebhookReceiver;
let sandbox: PaymentSandbox;

beforeAll(async () => {
	receiver = await WebhookReceiver.start();
	sandbox = await startSandbox(receiver.url, { webhookRetryMs: 50, webhookDelayMs: 300 });
});

afterEach(async () => {
	receiver.respond = () => 200;
	await call(sandbox, "POST", "/v1/test/webhooks", { body: { mode: "normal", delay_ms: 300 } });
});

afterAll(async () => {
	await sandbox.stop();
	await receiver.stop();
});

async function setMode(mode: string, delayMs?: number): Promise<void> {
	const reply = await call(sandbox, "POST", "/v1/test/webhooks", { body: { mode, ...(delayMs === undefined ? {} : { delay_ms: delayMs }) } });
	expect(reply).toMatchObject({ status: 200, body: { mode } });
}

/** Every POST of events about `id` (delivered or not) once `count` have arrived. */
function postsAbout(id: string, count: number, timeoutMs?: number): Promise<ReceivedWebhook[]> {
	const read = () => receiver.received.filter((hook) => hook.event.data.object.id === id);
	return waitFor(read, (posts) => posts.length >= count, timeoutMs);
}

async function eventOf(id: string) {
	const listed = (await call(sandbox, "GET", "/v1/events?limit=100")).body.data as { id: string; data: { object: { id: string } } }[];
	const event = listed.find((candidate) => candidate.data.object.id === id)!;
	return (await call(sandbox, "GET", `/v1/events/${event.id}`)).body;
}

describe("webhooks", () => {
	it("are signed over the raw body, with the sandbox's headers", async () => {
		const id = (await intentWith(sandbox, "tok_visa")).body.id as string;
		const [hook] = await postsAbout(id, 1);
		expect(hook!.signature).toEqual({ ok: true, timestamp: expect.any(Number) });
		expect(hook!.headers).toMatchObject({ "content-type": "application/json", "user-agent": "shop-payment-sandbox" });
		expect(Object.keys(JSON.parse(hook!.raw.toString("utf8")) as object)).toEqual(["id", "object", "type", "created", "data"]);
	});

	it("late: each arrives after the delay", async () => {
		await setMode("late", 300);
		const sentAt = Date.now();
		const id = (await intentWith(sandbox, "tok_visa")).body.id as string;
		expect(receiver.about(id)).toHaveLength(0);
		const [hook] = await postsAbout(id, 1);
		expect(hook!.at - sentAt).toBeGreaterThanOrEqual(290);
	});

	it("twice: each event is POSTed twice with the same id", async () => {
		await setMode("twice");
		const id = (await intentWith(sandbox, "tok_visa")).body.id as string;
		const posts = await postsAbout(id, 2);
		expect(posts).toHaveLength(2);
		expect(posts[0]!.event.id).toBe(posts[1]!.event.id);
		expect(posts.every((post) => post.signature.ok)).toBe(true);
	});

	it("reorder: a batch gathered for the delay arrives newest first", async () => {
		await setMode("reorder", 400);
		const created = await call(sandbox, "POST", "/v1/payment_intents", { body: { amount: 700, currency: "eur", payment_method: "tok_3ds" } });
		const id = created.body.id as string;
		await call(sandbox, "POST", `/v1/payment_intents/${id}/confirm`);
		await call(sandbox, "POST", `/v1/payment_intents/${id}/cancel`);
		const other = (await intentWith(sandbox, "tok_visa")).body.id as string;
		expect(receiver.about(id)).toHaveLength(0);
		const arrived = await waitFor(
			() => receiver.received.filter((post) => [id, other].includes(post.event.data.object.id)),
			(posts) => posts.length >= 3,
		);
		expect(arrived.map((post) => [post.event.data.object.id, post.event.type, post.event.data.object.version])).toEqual([
			[other, "payment_intent.succeeded", 2],
			[id, "payment_intent.canceled", 3],
			[id, "payment_intent.requires_action", 2],
		]);
	});

	it("never: nothing is sent until redeliver, which sends again even when delivered", async () => {
		await setMode("never");
		const id = (await intentWith(sandbox, "tok_visa")).body.id as string;
		const event = await eventOf(id);
		expect(event).toMatchObject({ delivered: false, delivery_attempts: 0 });
		expect(receiver.about(id)).toHaveLength(0);
		const redelivering = await call(sandbox, "POST", `/v1/events/${event.id}/redeliver`);
		expect(redelivering).toMatchObject({ status: 202, body: { id: event.id, redelivering: true } });
		expect(await postsAbout(id, 1)).toHaveLength(1);
		expect(
			await waitFor(
				() => eventOf(id),
				(current) => current.delivered === true,
			),
		).toMatchObject({ delivered: true, delivery_attempts: 1 });
		await call(sandbox, "POST", `/v1/events/${event.id}/redeliver`);
		expect((await postsAbout(id, 2)).map((post) => post.event.id)).toEqual([event.id, event.id]);
		expect((await call(sandbox, "POST", "/v1/events/evt_missing/redeliver")).status).toBe(404);
	});

	it("are tried again, the wait doubling, until the receiver answers 2xx", async () => {
		const before = receiver.received.length;
		receiver.respond = (n) => (n - before <= 2 ? 500 : 200);
		const id = (await intentWith(sandbox, "tok_visa")).body.id as string;
		const posts = await postsAbout(id, 3);
		expect(posts.map((post) => post.status)).toEqual([500, 500, 200]);
		expect(new Set(posts.map((post) => post.event.id)).size).toBe(1);
		expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(45);
		expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(95);
		expect(
			await waitFor(
				() => eventOf(id),
				(event) => event.delivered === true,
			),
		).toMatchObject({ delivered: true, delivery_attempts: 3 });
	});
});

describe("the webhook test switch", () => {
	it("shows and changes the settings in force", async () => {
		expect((await call(sandbox, "GET", "/v1/test/webhooks")).body).toEqual({ mode: "normal", delay_ms: 300 });
		expect((await call(sandbox, "POST", "/v1/test/webhooks", { body: { mode: "late", delay_ms: 50 } })).body).toEqual({ mode: "late", delay_ms: 50 });
		expect((await call(sandbox, "GET", "/v1/test/webhooks")).body).toEqual({ mode: "late", delay_ms: 50 });
	});

	it.each([{ mode: "sometimes" }, { mode: "late", delay_ms: -1 }, { delay_ms: 10 }, { mode: "late", extra: 1 }])("refuses %j (400)", async (body) => {
		expect((await call(sandbox, "POST", "/v1/test/webhooks", { body })).status).toBe(400);
	});
});
