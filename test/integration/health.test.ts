import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { loadConfig } from "../../lib/env";
import { HealthMiddleware, healthChecksOf } from "../../lib/health";
import { StoreMixin } from "../../mixins/store.mixin";
import { freePort } from "../helpers/net";
import { waitFor } from "../helpers/wait";

async function probe(port: number, pathName: string, method = "GET"): Promise<{ status: number; body: Record<string, unknown> } | null> {
	try {
		const res = await fetch(`http://127.0.0.1:${port}${pathName}`, { method });
		return { status: res.status, body: (await res.json()) as Record<string, unknown> };
	} catch {
		return null;
	}
}

describe("node health endpoints", () => {
	let port: number;
	let broker: ServiceBroker;
	let dataDir: string;
	let releaseSlow: (() => void) | undefined;

	const slowService: ServiceSchema = {
		name: "slow",
		actions: {
			wait: {
				handler: () =>
					new Promise((resolve) => {
						releaseSlow = () => resolve("finished");
					}),
			},
		},
	};

	beforeEach(async () => {
		releaseSlow = undefined;
		port = await freePort();
		dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-health-"));
		process.env.DATA_DIR = dataDir;
		broker = new ServiceBroker({
			logger: false,
			middlewares: [HealthMiddleware(port)],
			tracking: { enabled: true, shutdownTimeout: 10_000 },
		});
		broker.createService({ name: "things", mixins: [StoreMixin(loadConfig(), { things: {} })] });
		broker.createService(slowService);
	});
	afterEach(async () => {
		await broker.stop().catch(() => undefined);
		delete process.env.DATA_DIR;
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("answers liveness while the broker starts, and readiness only once it has started", async () => {
		const alive = await waitFor(
			() => probe(port, "/livez"),
			(res) => res !== null,
			5000,
			20,
		);
		expect(alive).toMatchObject({ status: 200, body: { alive: true, phase: "starting" } });
		expect(await probe(port, "/readyz")).toMatchObject({ status: 503, body: { ready: false, phase: "starting" } });

		await broker.start();

		expect(await probe(port, "/readyz")).toEqual({
			status: 200,
			body: { ready: true, phase: "running", nodeID: broker.nodeID, checks: { "database:things": { ok: true } } },
		});
	});

	it("reports every check and is unready while one fails or does not answer in time", async () => {
		await broker.start();
		let kafkaUp = false;
		healthChecksOf(broker).register("kafka:things", async () => {
			if (!kafkaUp) throw new Error("connect ECONNREFUSED 127.0.0.1:9092");
		});
		const removeHanging = healthChecksOf(broker).register("hangs", () => new Promise(() => undefined));

		expect(await probe(port, "/readyz")).toMatchObject({
			status: 503,
			body: {
				ready: false,
				phase: "running",
				checks: {
					"database:things": { ok: true },
					"kafka:things": { ok: false, error: "connect ECONNREFUSED 127.0.0.1:9092" },
					hangs: { ok: false, error: "no answer within 2000 ms" },
				},
			},
		});

		kafkaUp = true;
		removeHanging();
		expect(await probe(port, "/readyz")).toMatchObject({ status: 200, body: { ready: true } });
		// Liveness never depends on other systems: a restart would not bring them back.
		kafkaUp = false;
		expect((await probe(port, "/livez"))?.status).toBe(200);
	});

	it("fails liveness, and so readiness, when a part of the node has given up for good", async () => {
		await broker.start();
		let consumerFailure: string | undefined;
		healthChecksOf(broker).register(
			"kafka-consumer:things",
			async () => {
				if (consumerFailure) throw new Error(consumerFailure);
			},
			"liveness",
		);
		expect(await probe(port, "/livez")).toMatchObject({ status: 200, body: { alive: true, checks: { "kafka-consumer:things": { ok: true } } } });

		consumerFailure = "Kafka consumer stopped for good: not authorized";
		expect(await probe(port, "/livez")).toMatchObject({
			status: 503,
			body: { alive: false, checks: { "kafka-consumer:things": { ok: false, error: consumerFailure } } },
		});
		expect(await probe(port, "/readyz")).toMatchObject({
			status: 503,
			body: { ready: false, checks: { "database:things": { ok: true }, "kafka-consumer:things": { ok: false } } },
		});
	});

	it("turns unready as soon as the broker begins to stop, and lets the request in flight finish", async () => {
		await broker.start();
		const inFlight = broker.call("slow.wait");
		await waitFor(async () => releaseSlow, Boolean, 2000, 10);

		const stopped = broker.stop();
		const unready = await probe(port, "/readyz");
		expect(unready).toMatchObject({ status: 503, body: { ready: false, phase: "stopping" } });

		// The broker waits for the request before it stops its services.
		const first = await Promise.race([stopped.then(() => "stopped"), new Promise((resolve) => setTimeout(() => resolve("still stopping"), 300))]);
		expect(first).toBe("still stopping");
		releaseSlow!();
		await expect(inFlight).resolves.toBe("finished");
		await stopped;
		// After the broker has stopped nothing listens: the process is about to exit.
		expect(await probe(port, "/livez")).toBeNull();
	});

	it("answers 404 to other paths and 405 to other methods", async () => {
		await broker.start();
		expect(await probe(port, "/metrics")).toMatchObject({ status: 404 });
		expect(await probe(port, "/readyz", "POST")).toMatchObject({ status: 405 });
	});
});

describe("a node's store and Kafka counts", () => {
	it("answers on the health port what the process asked of its stores, by service and kind", async () => {
		const port = await freePort();
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "shop-io-"));
		process.env.DATA_DIR = dataDir;
		const broker = new ServiceBroker({ logger: false, middlewares: [HealthMiddleware(port)] });
		broker.createService({ name: "counted", mixins: [StoreMixin(loadConfig(), { things: {} })] });
		try {
			await broker.start();
			const before = (await probe(port, "/io-counts"))!.body as { store: Record<string, Record<string, number>> };
			const things = (
				broker.getLocalService("counted") as unknown as {
					collections: { things: { insert(doc: object): Promise<unknown>; findOne(q: object): Promise<unknown> } };
				}
			).collections.things;
			await things.insert({ _id: "a" });
			await things.findOne({ _id: "a" });
			await things.findOne({ _id: "b" });
			const after = await probe(port, "/io-counts");
			expect(after?.status).toBe(200);
			const counted = (after!.body as typeof before).store.counted!;
			expect([counted.insert! - (before.store.counted?.insert ?? 0), counted.find! - (before.store.counted?.find ?? 0)]).toEqual([1, 2]);
		} finally {
			await broker.stop();
			delete process.env.DATA_DIR;
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	});
});
