import { randomUUID } from "node:crypto";
import { ServiceBroker } from "moleculer";
import { connect, type NatsConnection } from "nats";
import { FailoverMiddleware } from "../../lib/failover";
import { readInfraEnv } from "../../scripts/cluster-lib";

/**
 * lib/failover.ts against a real NATS server: a node whose connection is there but which does not
 * answer the "are you there" question in time is taken for gone only if nothing else came from it
 * meanwhile. A node busy on a small CPU budget answers the question late but keeps answering
 * calls, and must stay in rotation; a node that has gone silent (a vanished machine) must not.
 */
const PROBE = { probeAfterMs: 300, probeTimeoutMs: 600 };

describe("the failover probe on a real NATS server", () => {
	const NATS_URL = process.env.NATS_URL ?? readInfraEnv().NATS_URL;
	if (!NATS_URL) throw new Error("NATS_URL is not set: run `npm run infra:up` first");
	let namespace: string;
	let caller: ServiceBroker;
	let worker: ServiceBroker;
	let nats: NatsConnection;
	/** The worker's own answers to the probe are held back this long (the late answer of a busy node). */
	let answerAfterMs: number;
	/** The worker's calls never end: it has gone silent. */
	let silent: boolean;

	const broker = (nodeID: string, middlewares: ReturnType<typeof FailoverMiddleware>[]) =>
		new ServiceBroker({
			namespace,
			nodeID,
			transporter: { type: "NATS", options: { url: NATS_URL } },
			logger: false,
			requestTimeout: 10_000,
			// No heartbeat during a test: what the caller hears from the worker is the calls' answers alone.
			heartbeatInterval: 60,
			heartbeatTimeout: 180,
			retryPolicy: { enabled: true, retries: 3, delay: 100, maxDelay: 500, factor: 2 },
			middlewares,
		});

	beforeEach(async () => {
		namespace = `probe-${randomUUID().slice(0, 8)}`;
		answerAfterMs = 0;
		silent = false;
		caller = broker("caller", [FailoverMiddleware(PROBE)]);
		// The worker answers the probe from a connection of the test's, so the test decides when.
		worker = broker("worker", []);
		worker.createService({
			name: "work",
			actions: {
				slow: async () => {
					if (silent) return new Promise(() => undefined);
					await new Promise((resolve) => setTimeout(resolve, 1500));
					return "done";
				},
				quick: () => (silent ? new Promise(() => undefined) : "done"),
			},
		});
		nats = await connect({ servers: NATS_URL });
		nats.subscribe(`MOL-${namespace}.ALIVE.worker`, {
			callback: (_err, msg) => void setTimeout(() => msg.respond(), answerAfterMs).unref(),
		});
		await Promise.all([caller.start(), worker.start()]);
		await caller.waitForServices(["work"], 10_000);
	});

	afterEach(async () => {
		silent = false;
		await Promise.all([caller.stop(), worker.stop()]);
		await nats.close();
	});

	const workerAvailable = () => caller.registry.nodes.get("worker")?.available === true;

	it("keeps a busy node in rotation that answers the question late but answers calls meanwhile", async () => {
		answerAfterMs = 5000;
		const slow = caller.call("work.slow");
		// Calls that come back while the question waits: the worker is busy, not gone.
		const quick: Promise<unknown>[] = [];
		for (let i = 0; i < 15; i++) {
			quick.push(caller.call("work.quick"));
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		await expect(slow).resolves.toBe("done");
		await expect(Promise.all(quick)).resolves.toEqual(Array(15).fill("done"));
		expect(workerAvailable()).toBe(true);
	});

	it("takes a node out that neither answers the question nor anything else", async () => {
		answerAfterMs = 60_000;
		silent = true;
		const slow = caller.call("work.slow").catch((err: { type?: string }) => err);
		const startedAt = Date.now();
		// Out after about probeAfterMs + probeTimeoutMs; its only endpoint gone, the call fails over to none.
		await expect(slow).resolves.toMatchObject({ type: "SERVICE_NOT_AVAILABLE" });
		expect(Date.now() - startedAt).toBeLessThan(5000);
		expect(workerAvailable()).toBe(false);
	});

	it("takes a node out at once when its connection is gone", async () => {
		await nats.close();
		// The worker's own transporter connection still subscribes to nothing on ALIVE: NATS answers "no responders".
		const slow = caller.call("work.slow").catch((err: { type?: string }) => err);
		await expect(slow).resolves.toMatchObject({ type: "SERVICE_NOT_AVAILABLE" });
		expect(workerAvailable()).toBe(false);
		nats = await connect({ servers: NATS_URL });
	});
});
