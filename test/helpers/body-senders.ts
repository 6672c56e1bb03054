import net from "node:net";

/*
 * Clients that go on sending a body after the server has answered it: one that writes its whole
 * request before it reads a byte of the answer, as many HTTP clients do (a server that answers
 * early and closes at once fails its write with EPIPE or ECONNRESET before it ever looks at the
 * answer waiting for it), and one that never stops sending, slowly or as fast as it can.
 */

export interface BlockingRequest {
	/** Path under the shop's base URL, e.g. `/auth/register`. */
	path: string;
	body: Buffer;
	/** Send the body chunked (these many bytes a chunk) instead of with a Content-Length. */
	chunkBytes?: number;
}

export interface BlockingOutcome {
	status?: number;
	/** The answer's body parsed as JSON, when it is JSON. */
	json?: any;
	/** The code of the error that ended the exchange, or NO_ANSWER when it ended without a whole answer. */
	error?: string;
}

function requestBytes(baseUrl: string, request: BlockingRequest): Buffer {
	const url = new URL(baseUrl + request.path);
	const framing = request.chunkBytes ? "transfer-encoding: chunked" : `content-length: ${request.body.length}`;
	const head = Buffer.from(`POST ${url.pathname} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`);
	if (!request.chunkBytes) return Buffer.concat([head, request.body]);
	const parts: Buffer[] = [head];
	for (let at = 0; at < request.body.length; at += request.chunkBytes) {
		const chunk = request.body.subarray(at, at + request.chunkBytes);
		parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n"));
	}
	parts.push(Buffer.from("0\r\n\r\n"));
	return Buffer.concat(parts);
}

/** The status and JSON body of a whole HTTP/1.1 answer with a Content-Length; undefined while it is incomplete. */
function parseAnswer(bytes: Buffer): { status: number; json: any } | undefined {
	const end = bytes.indexOf("\r\n\r\n");
	if (end < 0) return undefined;
	const head = bytes.subarray(0, end).toString("latin1");
	const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1]);
	if (!Number.isFinite(length) || bytes.length < end + 4 + length) return undefined;
	const text = bytes.subarray(end + 4, end + 4 + length).toString("utf8");
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = text;
	}
	return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), json };
}

/** Writes the whole request, then reads the answer and waits for the server to close the connection. */
export function sendWholeThenRead(baseUrl: string, request: BlockingRequest): Promise<BlockingOutcome> {
	const { hostname, port } = new URL(baseUrl);
	return new Promise((resolve) => {
		const socket = net.connect(Number(port), hostname);
		const received: Buffer[] = [];
		let error: string | undefined;
		socket.on("error", (err: NodeJS.ErrnoException) => {
			error ??= err.code ?? err.message;
		});
		socket.on("close", () => {
			const answer = parseAnswer(Buffer.concat(received));
			resolve({ ...answer, ...(error || !answer ? { error: error ?? "NO_ANSWER" } : {}) });
		});
		socket.write(requestBytes(baseUrl, request), (err) => {
			if (err) return;
			// Only now does the client look at what came back.
			socket.on("data", (chunk: Buffer) => received.push(chunk));
		});
	});
}

export interface KeepSending {
	path: string;
	/** The Content-Length declared: more than the client will ever get to send. */
	declaredLength: number;
	/** Bytes of body written each time… */
	bytes: number;
	/** …this often; 0 writes as fast as the connection takes them. */
	everyMs: number;
	/** application/json unless said. */
	contentType?: string;
}

export interface KeepSendingOutcome extends BlockingOutcome {
	/** Body bytes the connection took before the server closed it. */
	bodyBytesWritten: number;
	/** When the answer was complete, and when the server closed the connection, in ms after the headers were written. */
	answeredAfterMs?: number;
	closedAfterMs: number;
}

/** Reads the answer as it comes while it goes on sending a body that never ends, until the server closes. */
export function keepSending(baseUrl: string, request: KeepSending): Promise<KeepSendingOutcome> {
	const { hostname, port, pathname } = new URL(baseUrl + request.path);
	return new Promise((resolve) => {
		const socket = net.connect(Number(port), hostname);
		const received: Buffer[] = [];
		const chunk = Buffer.alloc(request.bytes, "x");
		const startedAt = Date.now();
		let bodyBytesWritten = 0;
		let answeredAfterMs: number | undefined;
		let error: string | undefined;
		let timer: NodeJS.Timeout | undefined;
		socket.on("data", (data: Buffer) => {
			received.push(data);
			if (answeredAfterMs === undefined && parseAnswer(Buffer.concat(received))) answeredAfterMs = Date.now() - startedAt;
		});
		socket.on("error", (err: NodeJS.ErrnoException) => {
			error ??= err.code ?? err.message;
		});
		socket.on("close", () => {
			clearTimeout(timer);
			resolve({ ...parseAnswer(Buffer.concat(received)), error, bodyBytesWritten, answeredAfterMs, closedAfterMs: Date.now() - startedAt });
		});
		const sendMore = () => {
			if (socket.destroyed) return;
			const more = socket.write(chunk, (err) => {
				if (!err) bodyBytesWritten += chunk.length;
			});
			if (request.everyMs > 0) timer = setTimeout(sendMore, request.everyMs);
			else if (more) setImmediate(sendMore);
			else socket.once("drain", sendMore);
		};
		socket.write(
			`POST ${pathname} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: ${request.contentType ?? "application/json"}\r\ncontent-length: ${request.declaredLength}\r\n\r\n`,
			sendMore,
		);
	});
}
