import { randomUUID } from "node:crypto";

/*
 * A simulated card processor, deterministic for tests: `tok_visa` is approved, `tok_decline` is
 * declined, `tok_slow` is approved after a configurable delay; any other token is declined. Like a
 * real processor it de-duplicates on an idempotency key: a repeated charge or refund with the
 * same key returns the first result and moves no money again.
 */

export interface ChargeRequest {
	idempotencyKey: string;
	amountCents: number;
	currency: string;
	method: string;
}

export type ChargeResult = { approved: true; reference: string } | { approved: false; reason: "DECLINED" };

export interface LedgerEntry {
	kind: "charge" | "refund";
	key: string;
	amountCents: number;
	reference: string;
}

export class SimulatedProvider {
	/** Money actually moved, one entry per distinct charge or refund: what tests count. */
	readonly ledger: LedgerEntry[] = [];
	private readonly charges = new Map<string, Promise<ChargeResult>>();
	private readonly refunds = new Map<string, Promise<string>>();

	constructor(private readonly slowCardDelayMs: number) {}

	charge(request: ChargeRequest): Promise<ChargeResult> {
		let result = this.charges.get(request.idempotencyKey);
		if (!result) {
			result = this.process(request);
			this.charges.set(request.idempotencyKey, result);
		}
		return result;
	}

	refund(idempotencyKey: string, amountCents: number): Promise<string> {
		let result = this.refunds.get(idempotencyKey);
		if (!result) {
			const reference = `re_${randomUUID()}`;
			this.ledger.push({ kind: "refund", key: idempotencyKey, amountCents, reference });
			result = Promise.resolve(reference);
			this.refunds.set(idempotencyKey, result);
		}
		return result;
	}

	private async process(request: ChargeRequest): Promise<ChargeResult> {
		if (request.method === "tok_slow") await new Promise((resolve) => setTimeout(resolve, this.slowCardDelayMs));
		if (request.method !== "tok_visa" && request.method !== "tok_slow") return { approved: false, reason: "DECLINED" };
		const reference = `ch_${randomUUID()}`;
		this.ledger.push({ kind: "charge", key: request.idempotencyKey, amountCents: request.amountCents, reference });
		return { approved: true, reference };
	}
}
