import http from "node:http";

/**
 * A round-robin HTTP load balancer in front of several gateways, as an ingress or a cloud load
 * balancer would be. Each request goes to the next gateway in turn. It goes to another gateway
 * only when the connection to the first was refused or reset before any byte of a response
 * came back: a gateway that stopped listening (refused) or that closed an idle kept-alive
 * connection just as the request was sent on it (reset). That is what load balancers retry
 * (nginx's proxy_next_upstream on "error"); a gateway that answers, even 5xx, is answered
 * with, and so is one that breaks off a response it began.
 */
export class Balancer {
	/** Requests answered 502 here because no gateway could be reached, with why. */
	readonly unreachable: string[] = [];
	/** Requests sent to a second gateway after the first refused or reset the connection. */
	retried = 0;
	private next = 0;
	private readonly agent = new http.Agent({ keepAlive: true });

	private constructor(
		private readonly server: http.Server,
		private readonly gateways: number[],
	) {}

	static async start(port: number, gateways: number[]): Promise<Balancer> {
		const server = http.createServer();
		const balancer = new Balancer(server, gateways);
		server.on("request", (req, res) => balancer.relay(req, res));
		await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", resolve));
		return balancer;
	}

	async stop(): Promise<void> {
		this.agent.destroy();
		this.server.closeAllConnections();
		await new Promise((resolve) => this.server.close(resolve));
	}

	private relay(req: http.IncomingMessage, res: http.ServerResponse): void {
		const chunks: Buffer[] = [];
		req.on("data", (chunk: Buffer) => chunks.push(chunk));
		req.on("end", () => this.send(req, Buffer.concat(chunks), res, this.next++ % this.gateways.length, 0));
	}

	private send(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, gateway: number, tries: number): void {
		let answered = false;
		const upstream = http.request(
			{ host: "127.0.0.1", port: this.gateways[gateway], method: req.method, path: req.url, headers: req.headers, agent: this.agent },
			(answer) => {
				answered = true;
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
				answer.on("error", () => res.destroy());
			},
		);
		upstream.on("error", (err: NodeJS.ErrnoException) => {
			if (answered) return res.destroy();
			if ((err.code === "ECONNREFUSED" || err.code === "ECONNRESET") && tries + 1 < this.gateways.length) {
				this.retried++;
				return this.send(req, body, res, (gateway + 1) % this.gateways.length, tries + 1);
			}
			this.unreachable.push(`${req.method} ${req.url}: ${err.code ?? err.message}`);
			res.writeHead(502, { "content-type": "application/json" });
			res.end(JSON.stringify({ error: "BAD_GATEWAY", message: err.message }));
		});
		upstream.end(body);
	}
}
