/*
 * Reading environment variables for lib/env.ts's table: each read notes the variable's name (the
 * list of every variable the shop reads) and parses its value; a malformed value is noted as a
 * problem and the fallback used, so that start-up can report every problem at once.
 */

export type Env = Record<string, string | undefined>;

export class EnvReader {
	readonly problems: string[] = [];
	readonly names = new Set<string>();
	constructor(private readonly env: Env) {}

	raw(name: string): string | undefined {
		this.names.add(name);
		const value = this.env[name];
		return value === undefined || value.trim() === "" ? undefined : value.trim();
	}

	string(name: string, fallback: string): string {
		return this.raw(name) ?? fallback;
	}

	oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		if ((allowed as readonly string[]).includes(value)) return value as T;
		this.problems.push(`${name} must be one of ${allowed.join(", ")} (got "${value}")`);
		return fallback;
	}

	int(name: string, fallback: number, min: number, max: number): number {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		const parsed = Number(value);
		if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
			this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
			return fallback;
		}
		return parsed;
	}

	fraction(name: string, fallback: number): number {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		const parsed = Number(value);
		if (!/^\d*\.?\d+$/.test(value) || parsed < 0 || parsed > 1) {
			this.problems.push(`${name} must be a number from 0 to 1 (got "${value}")`);
			return fallback;
		}
		return parsed;
	}

	/** A size in bytes written as `2048`, `100kb` or `1mb`, from 1 byte to `maxBytes`. */
	bytes(name: string, fallback: number, maxBytes: number): number {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		const match = /^(\d+)(b|kb|mb)?$/i.exec(value);
		const bytes = match ? Number(match[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? "b").toLowerCase() as "b" | "kb" | "mb"] : Number.NaN;
		if (!(bytes >= 1 && bytes <= maxBytes)) {
			this.problems.push(`${name} must be a size such as 100kb or 1mb, at most ${maxBytes / (1024 * 1024)}mb (got "${value}")`);
			return fallback;
		}
		return bytes;
	}

	bool(name: string, fallback: boolean): boolean {
		const value = this.raw(name);
		if (value === undefined) return fallback;
		if (["1", "true", "yes"].includes(value.toLowerCase())) return true;
		if (["0", "false", "no"].includes(value.toLowerCase())) return false;
		this.problems.push(`${name} must be true or false (got "${value}")`);
		return fallback;
	}

	hostPorts(name: string): string[] | undefined {
		const value = this.raw(name);
		if (value === undefined) return undefined;
		const parts = value.split(",").map((part) => part.trim());
		for (const part of parts) {
			if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(part)) this.problems.push(`${name} must list host:port pairs separated by commas (got "${part}")`);
		}
		return parts;
	}

	url(name: string, protocols: string[], options: { list?: boolean } = {}): string | undefined {
		const value = this.raw(name);
		if (value === undefined) return undefined;
		// NATS_URL may list several servers separated by commas. A MongoDB URI also contains
		// commas (replica-set hosts) but is one URI that WHATWG URL cannot parse, so only its
		// scheme is checked here and the driver checks the rest.
		const parts = options.list ? value.split(",").map((part) => part.trim()) : [value];
		for (const part of parts) {
			const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(part)?.[1]?.toLowerCase();
			if (!scheme || !protocols.includes(scheme)) {
				this.problems.push(`${name} must be a ${protocols.join(" or ")} URL (got "${part}")`);
			}
		}
		return value;
	}
}
