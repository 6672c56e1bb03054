import { SMTPServer } from "smtp-server";

/*
 * A real SMTP server on 127.0.0.1 for the tests about email: it takes every message (or refuses
 * the mailboxes named, with a 550), and keeps the recipients of what it took. Started on a port
 * where the shop's SMTP_URL already points, it is the mail server "coming back up".
 */

export interface MailServer {
	/** The recipients of each message taken, one entry per recipient, in order. */
	readonly delivered: string[];
	close(): Promise<void>;
}

export async function startMailServer(port: number, options: { refused?: ReadonlySet<string> } = {}): Promise<MailServer> {
	const delivered: string[] = [];
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ["AUTH", "STARTTLS"],
		onRcptTo(address, _session, callback) {
			if (options.refused?.has(address.address)) return callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }));
			callback();
		},
		onData(stream, session, callback) {
			stream.resume();
			stream.on("end", () => {
				delivered.push(...session.envelope.rcptTo.map((rcpt) => rcpt.address));
				callback();
			});
		},
	});
	await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
	return { delivered, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
