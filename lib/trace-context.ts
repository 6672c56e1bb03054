import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, randomUUID } from "node:crypto";
import type { Context, Middleware } from "moleculer";
import type { TraceCarrier } from "../contracts";

/*
 * Which request and trace the work in hand belongs to. Moleculer carries it from call to call
 * (ctx.requestID is the trace id, ctx.meta.requestId the client's request id); this module
 * carries it where Moleculer does not: into log lines (through AsyncLocalStorage), and across an
 * event's hop through an outbox and Kafka (as a W3C traceparent beside the event).
 */

export interface TraceParent {
	/** 32 lowercase hex digits. */
	traceId: string;
	/** 16 lowercase hex digits. */
	spanId: string;
	sampled: boolean;
}

/** What a log line says about the work it comes from. */
export interface WorkContext {
	requestId?: string;
	/** 32 hex digits, the same id Zipkin shows for the trace. */
	traceId?: string;
	/** The span new work hangs off, 16 hex digits. */
	spanId?: string;
	sampled?: boolean;
	orderId?: string;
}

const HEX32 = /^[0-9a-f]{32}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** What the gateway accepts as a client's X-Request-Id; anything else is replaced by a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The 128-bit trace id of a Moleculer id. Moleculer's ids are UUIDs, whose hex digits are used
 * as they are; any other string (a caller-chosen requestID) is hashed into the same shape.
 */
export function traceIdOf(id: string): string {
	const hex = id.replace(/-/g, "").toLowerCase();
	if (HEX32.test(hex) && !/^0+$/.test(hex)) return hex;
	return createHash("sha256").update(id).digest("hex").slice(0, 32);
}

/** The 64-bit span id of a Moleculer id: the first 16 hex digits, as Zipkin shows them. */
export function spanIdOf(id: string): string {
	const hex = id.replace(/-/g, "").toLowerCase();
	if (/^[0-9a-f]{16,}$/.test(hex) && !/^0{16}/.test(hex)) return hex.slice(0, 16);
	return createHash("sha256").update(id).digest("hex").slice(0, 16);
}

export function formatTraceparent(parent: TraceParent): string {
	return `00-${parent.traceId}-${parent.spanId}-${parent.sampled ? "01" : "00"}`;
}

/** A valid traceparent of version 00, or undefined for anything else (never throws). */
export function parseTraceparent(value: unknown): TraceParent | undefined {
	if (typeof value !== "string") return undefined;
	const match = TRACEPARENT.exec(value.trim().toLowerCase());
	if (!match || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return undefined;
	return { traceId: match[1]!, spanId: match[2]!, sampled: (parseInt(match[3]!, 16) & 1) === 1 };
}

/** The client's request id if it is a sensible one, otherwise a new one. */
export function acceptRequestId(header: unknown): string {
	const value: unknown = Array.isArray(header) ? header[0] : header;
	return typeof value === "string" && REQUEST_ID.test(value) ? value : randomUUID();
}

export function carrierOf(work: WorkContext | undefined): TraceCarrier | undefined {
	if (!work?.traceId || !work.spanId) return work?.requestId ? { requestId: work.requestId } : undefined;
	const carrier: TraceCarrier = { traceparent: formatTraceparent({ traceId: work.traceId, spanId: work.spanId, sampled: work.sampled !== false }) };
	if (work.requestId) carrier.requestId = work.requestId;
	return carrier;
}

/** The work context of something that arrived with a carrier, before a span of its own is made. */
export function workFromCarrier(carrier: TraceCarrier | undefined, orderId?: string): WorkContext {
	const parent = parseTraceparent(carrier?.traceparent);
	return {
		...(carrier?.requestId ? { requestId: carrier.requestId } : {}),
		...(parent ? { traceId: parent.traceId, spanId: parent.spanId, sampled: parent.sampled } : {}),
		...(orderId ? { orderId } : {}),
	};
}

const storage = new AsyncLocalStorage<WorkContext>();

export function currentWork(): WorkContext | undefined {
	return storage.getStore();
}

export function runInWork<T>(work: WorkContext, fn: () => T): T {
	return storage.run(work, fn);
}

/** Runs fn as work of its own, e.g. a relay kicked by one request that also serves others. */
export function runDetached<T>(fn: () => T): T {
	return storage.exit(fn);
}

/** Names the order the current work is about, for its log lines from here on. */
export function noteOrderId(orderId: string): void {
	const work = storage.getStore();
	if (work) work.orderId = orderId;
}

/** The carrier for an event published by the current work. */
export function currentCarrier(): TraceCarrier | undefined {
	return carrierOf(storage.getStore());
}

/**
 * A document that remembers the trace it was made in, so that work a timer does on it later (a
 * saga timeout, an expired hold) continues that trace instead of starting one of its own.
 */
export function withTrace<T extends object>(doc: T): T & { trace?: TraceCarrier } {
	const trace = currentCarrier();
	return trace ? { ...doc, trace } : doc;
}

type ActionContext = Context<unknown, { requestId?: string; orderId?: string }>;

/**
 * An action's work context. Every action call gets one, so the ids are worked out only when a
 * log line or a published event asks for them, not on every call.
 */
class ActionWork implements WorkContext {
	orderId?: string;
	private trace?: string;
	private span?: string;

	constructor(private readonly ctx: ActionContext) {
		const params = ctx.params as { orderId?: unknown } | null;
		const orderId = typeof params?.orderId === "string" ? params.orderId : ctx.meta?.orderId;
		if (orderId) this.orderId = orderId;
	}

	get requestId(): string | undefined {
		return this.ctx.meta?.requestId;
	}

	get traceId(): string {
		return (this.trace ??= traceIdOf(this.ctx.requestID ?? this.ctx.id));
	}

	/** The tracing middleware gives an action's span the context's id. */
	get spanId(): string {
		return (this.span ??= spanIdOf(this.ctx.id));
	}

	get sampled(): boolean {
		return this.ctx.tracing !== false;
	}
}

/** Every action runs in the work context of its Moleculer context, so its log lines can say whose work they are. */
export function WorkContextMiddleware(): Middleware {
	return {
		name: "WorkContext",
		localAction(handler: (ctx: Context) => Promise<unknown>) {
			return function inWorkContext(ctx: Context) {
				return storage.run(new ActionWork(ctx as ActionContext), () => handler(ctx));
			};
		},
	} as Middleware;
}
