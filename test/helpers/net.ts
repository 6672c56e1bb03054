import net from "node:net";
import { freePort } from "../../scripts/cluster-lib";

/** A port nothing listens on right now, below the ephemeral range, for a server a test starts later. */
export { freePort } from "../../scripts/cluster-lib";

/**
 * A TCP relay in front of a real server, to make it unreachable for the clients that go through
 * it (`cut`: the listener closes and open connections drop) and reachable again (`restore`), the
 * way a network partition would, while the server itself keeps running for everyone else.
 */
export class TcpProxy {
	private server?: net.Server;
	private readonly sockets = new Set<net.Socket>();

	private constructor(
		readonly port: number,
		private readonly target: { host: string; port: number },
	) {}

	static async start(target: { host: string; port: number }): Promise<TcpProxy> {
		const proxy = new TcpProxy(await freePort(), target);
		await proxy.restore();
		return proxy;
	}

	async restore(): Promise<void> {
		if (this.server) return;
		const server = net.createServer((client) => {
			const upstream = net.connect(this.target.port, this.target.host);
			for (const socket of [client, upstream]) {
				this.sockets.add(socket);
				socket.on("close", () => this.sockets.delete(socket));
				socket.on("error", () => socket.destroy());
			}
			client.pipe(upstream).pipe(client);
			client.on("close", () => upstream.destroy());
			upstream.on("close", () => client.destroy());
		});
		await new Promise<void>((resolve, reject) => server.once("error", reject).listen(this.port, "127.0.0.1", resolve));
		this.server = server;
	}

	async cut(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		for (const socket of this.sockets) socket.destroy();
		if (server) await new Promise((resolve) => server.close(resolve));
	}
}
