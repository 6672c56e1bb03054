import { randomUUID } from "node:crypto";
import { Kafka, logLevel, type Admin } from "kafkajs";
import { startShop, type TestShop } from "../helpers/shop";
import { waitFor } from "../helpers/wait";
import { TestCluster } from "./cluster";
import { readTopics } from "./servers";

/*
 * One Kafka client per node: a node that runs several services (`npm start` with KAFKA_BROKERS)
 * opens one connection, one producer and one admin for them all, and each service's consumer
 * group lists that one client. The connection outlives every service but the last.
 */

/** The groups of the services that consume (customers only publishes). */
const GROUPS = ["shop.catalogue", "shop.orders", "shop.payments", "shop.shipping", "shop.notifications"];

describe("a node's Kafka client", () => {
	const env = TestCluster.infraEnv();
	const brokers = env.KAFKA_BROKERS!.split(",");
	let shop: TestShop;
	let admin: Admin;

	beforeAll(async () => {
		admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
		await admin.connect();
		shop = await startShop({
			services: ["catalogue", "customers", "orders", "payments", "shipping", "notifications"],
			// A database of this run's own.
			env: { KAFKA_BROKERS: env.KAFKA_BROKERS!, MONGO_URI: env.MONGO_URI!, MONGO_DB_PREFIX: `kafkaconn_${randomUUID().slice(0, 8)}_` },
		});
	}, 120_000);
	afterAll(async () => {
		await shop?.destroy();
		await admin?.disconnect();
	});

	it("is one client, named after the node, in the consumer group of each of its services", async () => {
		const nodeID = shop.broker.nodeID;
		// This node's members of each group (other nodes of earlier runs may still be leaving).
		const ours = async () => {
			const { groups } = await admin.describeGroups(GROUPS);
			return groups.map((group) => ({ group: group.groupId, clients: group.members.map((m) => m.clientId).filter((id) => id.endsWith(nodeID)) }));
		};
		const members = await waitFor(ours, (groups) => groups.every((group) => group.clients.length > 0), 60_000, 250);
		expect(members).toEqual(GROUPS.map((group) => ({ group, clients: [`shop-${nodeID}`] })));
	}, 90_000);

	it("still publishes for the services left once others of the node have stopped", async () => {
		for (const name of ["catalogue", "orders", "payments", "shipping", "notifications"])
			await shop.broker.destroyService(shop.broker.getLocalService(name)!);
		const email = `left-${randomUUID().slice(0, 8)}@example.com`;
		const customer = await shop.broker.call<{ id: string }, object>("customers.register", { email, password: "a-long-enough-password", name: "Left" });
		const published = await waitFor(
			async () =>
				(await readTopics(brokers, ["shop.customers"])).filter((event) => event.type === "customer.registered" && event.correlationId === customer.id),
			(events) => events.length === 1,
			30_000,
			500,
		);
		expect(published).toHaveLength(1);
	}, 90_000);
});
