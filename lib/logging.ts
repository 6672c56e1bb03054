import type { LoggerConfig } from "moleculer";
import type { ShopConfig } from "./env";
import { currentWork, type WorkContext } from "./trace-context";

/** Who is logging, as Moleculer's logger factory describes it. */
export interface LogBindings {
	nodeID: string;
	ns?: string;
	mod: string;
	svc?: string;
}

export interface JsonLogLine {
	time: string;
	level: string;
	nodeID: string;
	service: string;
	requestId?: string;
	traceId?: string;
	orderId?: string;
	msg: string;
}

/** One JSON log line: the fields a log shipper indexes first, then the message. */
export function jsonLogLine(level: string, message: string, bindings: LogBindings, work: WorkContext | undefined, now: Date): JsonLogLine {
	const line: JsonLogLine = { time: now.toISOString(), level, nodeID: bindings.nodeID, service: bindings.svc ?? bindings.mod, msg: message };
	if (work?.requestId) line.requestId = work.requestId;
	if (work?.traceId) line.traceId = work.traceId;
	if (work?.orderId) line.orderId = work.orderId;
	return line;
}

type PrintArgs = (args: unknown[]) => unknown[];

function jsonFormatter(level: string, args: unknown[], bindings: LogBindings, { printArgs }: { printArgs: PrintArgs }): string[] {
	return [JSON.stringify(jsonLogLine(level, printArgs(args).join(" "), bindings, currentWork(), new Date()))];
}

/** JSON lines for log shippers in production; short coloured text for a person. */
export function loggerOptions(config: ShopConfig): LoggerConfig {
	const json = config.logFormat === "json";
	return {
		type: "Console",
		options: {
			level: config.logLevel,
			formatter: json ? jsonFormatter : "short",
			colors: !json,
			moduleColors: !json,
		},
	} as LoggerConfig;
}
