/*
 * The bench's progress on stderr, beside the shop's own warnings: its results go to stdout.
 */

/** One line that rewrites itself on a terminal; elsewhere (CI logs) only each new phase. */
let lastPhase = "";
export function progress(message: string): void {
	if (process.stderr.isTTY) {
		process.stderr.write(`\r\x1b[2K${message}`);
		return;
	}
	const phase = message.split(":")[0]!;
	if (message && phase !== lastPhase) process.stderr.write(`${message}\n`);
	lastPhase = phase;
}
