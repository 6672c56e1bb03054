// An EventSource client (the `eventsource` package, the browser's API on Node) for the live order
// stream tests: `node sse-client.mjs <url> <token>` prints one JSON line per thing that happens
// (open, each status event with its id, each reconnect) and exits once the source is closed for
// good: after the server's last event, EventSource reconnects with Last-Event-ID and a 204 ends it.
// A separate process, because the package is ES modules only and jest 29 loads CommonJS.
import { EventSource } from "eventsource";

const [url, token] = process.argv.slice(2);
let opens = 0;
const print = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
const source = new EventSource(url, {
	fetch: (input, init) => {
		const lastEventId = new Headers(init.headers).get("last-event-id");
		print({ kind: "request", lastEventId });
		return fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
	},
});
source.addEventListener("open", () => print({ kind: "open", n: ++opens }));
source.addEventListener("status", (event) => print({ kind: "status", id: event.lastEventId, data: JSON.parse(event.data) }));
source.addEventListener("error", (event) => {
	if (source.readyState === EventSource.CLOSED) {
		print({ kind: "closed", code: event.code ?? null });
		process.exit(0);
	}
	print({ kind: "error", code: event.code ?? null, message: event.message ?? null });
});
// Also what keeps the process alive while EventSource waits to reconnect (its own timer does not).
setTimeout(() => {
	print({ kind: "timeout" });
	process.exit(1);
}, 60_000);
