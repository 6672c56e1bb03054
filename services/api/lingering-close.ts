import type { IncomingMessage, ServerResponse } from "node:http";

/*
 * nginx's lingering close, for an answer given before the client has sent its whole request (a
 * body over the limit). Node closes a connection whose answer says `Connection: close` as soon as
 * the answer is written; the body still arriving then finds no reader and the kernel answers it
 * with a reset. A client still writing gets EPIPE or ECONNRESET, and many never read the answer
 * waiting for them (up to half of 30 fetch clients posting 5 MB; every client that writes its
 * whole request before reading). So the answer goes out whole at once, the rest of the request is
 * read and dropped, and the connection closes only when the client has sent it all, or when the
 * limits are reached: a client that never stops sending, slowly or fast, cannot hold the socket
 * or make the node read without end.
 */

/**
 * How long after the answer the connection may stay open, as nginx's lingering_time: long enough
 * for a client on a good connection to finish sending several megabytes.
 */
export const LINGERING_MS = 5000;
/** How many bytes of the rest of the request are read and dropped at most. */
export const LINGERING_BYTES = 16 * 1024 * 1024;

/**
 * Writes `body` as the whole answer (its status and other headers already set), then closes the
 * connection once the rest of the request has been read, or after LINGERING_MS or LINGERING_BYTES.
 */
export function answerThenClose(req: IncomingMessage, res: ServerResponse, body: string): void {
	res.setHeader("Connection", "close");
	if (req.complete) {
		res.end(body);
		return;
	}
	// Written now but ended later: ending the answer is what makes Node close the connection.
	res.setHeader("Content-Length", Buffer.byteLength(body));
	res.write(body);

	let dropped = 0;
	const drop = (chunk: Buffer) => {
		dropped += chunk.length;
		if (dropped > LINGERING_BYTES) close(false);
	};
	const whenAllRead = () => close(true);
	const timer = setTimeout(() => close(false), LINGERING_MS);
	function close(allRead: boolean) {
		clearTimeout(timer);
		req.off("data", drop);
		req.off("end", whenAllRead);
		res.end();
		// At a bound, closing must not wait on a client that reads as slowly as it sends.
		if (!allRead) req.socket.destroy();
	}
	// The client went away first.
	res.once("close", () => clearTimeout(timer));
	req.on("data", drop);
	req.once("end", whenAllRead);
	req.resume();
}
