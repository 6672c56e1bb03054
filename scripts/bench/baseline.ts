import fs from "node:fs";
import http from "node:http";
import { connect, type NatsConnection } from "nats";
import { kafkaFront, kafkaResponder } from "./kafka-baseline";

/*
 * The limits the shop is measured against, each a process of its own like the shop's nodes:
 *   http <port> <listBody> <itemBody>             bare Node http answering the shop's own JSON
 *   nats-front <port> <natsUrl>                   HTTP in, a NATS request/reply out (the network hop)
 *   nats-responder <natsUrl> <listBody> <itemBody> answers those requests with the same JSON
 *   kafka-front <port> <brokers> <runId>          HTTP in, a Kafka request/reply out (kafka-baseline.ts)
 *   kafka-responder <brokers> <runId> <listBody> <itemBody> answers those with the same JSON
 * Nothing here parses, validates or authenticates: it is the floor the gateway's cost sits on.
 */

const SUBJECT = "bench.products";

function bodies(listFile: string, itemFile: string): (path: string) => Buffer {
	const list = fs.readFileSync(listFile);
	const item = fs.readFileSync(itemFile);
	return (path) => (/^\/api\/products\/[^/?]+/.test(path) ? item : list);
}

function serve(port: number, answer: (path: string) => Promise<Buffer> | Buffer): void {
	const respond = async (req: http.IncomingMessage, res: http.ServerResponse) => {
		try {
			const body = await answer(req.url ?? "/");
			res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length });
			res.end(body);
		} catch {
			res.writeHead(503).end();
		}
	};
	const server = http.createServer((req, res) => void respond(req, res));
	server.keepAliveTimeout = 60_000;
	server.listen(port, "127.0.0.1", () => process.send?.("ready"));
}

/** Leaves the consumer group on SIGTERM, so that the bench can delete it. */
function stopOnSigterm(stop: () => Promise<void>): void {
	process.once("SIGTERM", () => void stop().finally(() => process.exit(0)));
}

async function main(): Promise<void> {
	const [role, ...args] = process.argv.slice(2);
	if (role === "http") {
		const answer = bodies(args[1]!, args[2]!);
		serve(Number(args[0]), answer);
	} else if (role === "nats-front") {
		const nc: NatsConnection = await connect({ servers: args[1]! });
		serve(Number(args[0]), async (path) => Buffer.from((await nc.request(SUBJECT, Buffer.from(path), { timeout: 10_000 })).data));
	} else if (role === "nats-responder") {
		const nc = await connect({ servers: args[0]! });
		const answer = bodies(args[1]!, args[2]!);
		const subscription = nc.subscribe(SUBJECT);
		// Flushed, so the front never asks before anyone listens.
		await nc.flush();
		process.send?.("ready");
		for await (const message of subscription) message.respond(answer(Buffer.from(message.data).toString()));
	} else if (role === "kafka-front") {
		const front = await kafkaFront(args[1]!, args[2]!);
		stopOnSigterm(front.stop);
		serve(Number(args[0]), front.ask);
	} else if (role === "kafka-responder") {
		stopOnSigterm(await kafkaResponder(args[0]!, args[1]!, bodies(args[2]!, args[3]!)));
		process.send?.("ready");
	} else {
		console.error("usage: baseline http|nats-front|nats-responder|kafka-front|kafka-responder ...");
		process.exit(2);
	}
}

void main();
