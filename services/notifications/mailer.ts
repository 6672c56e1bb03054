import fs from "node:fs/promises";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";

export interface OutgoingMail {
	id: string;
	from: string;
	to: string;
	subject: string;
	text: string;
}

export interface Mailer {
	send(mail: OutgoingMail): Promise<{ messageId: string; file?: string }>;
	close(): void;
}

/**
 * SMTP when SMTP_URL is set; otherwise each message is written as an .eml file under
 * `<dir>/<id>.eml`, where a person can open it with any mail reader.
 */
export function createMailer(options: { smtpUrl?: string; dir: string }): Mailer {
	if (options.smtpUrl) {
		const transport: Transporter = nodemailer.createTransport(options.smtpUrl);
		return {
			async send(mail) {
				const info = await transport.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, messageId: `<${mail.id}@shop>` });
				return { messageId: info.messageId };
			},
			close: () => transport.close(),
		};
	}
	const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
	return {
		async send(mail) {
			const info = await transport.sendMail({ from: mail.from, to: mail.to, subject: mail.subject, text: mail.text, messageId: `<${mail.id}@shop>` });
			await fs.mkdir(options.dir, { recursive: true });
			const file = path.join(options.dir, `${mail.id}.eml`);
			await fs.writeFile(file, info.message as Buffer);
			return { messageId: info.messageId, file };
		},
		close: () => transport.close(),
	};
}
