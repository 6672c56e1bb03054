import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import type { AuthUser, Role } from "../contracts";
import { UnauthorizedError } from "./errors";

const ALGORITHM = "HS256";
const ROLES: readonly Role[] = ["customer", "admin"];

export interface IssuedToken {
	token: string;
	expiresAt: Date;
}

/** Tokens remembered as verified; beyond this many, the oldest are forgotten first. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Signs and verifies the shop's access tokens. The key object is built once: handing
 * jsonwebtoken a plain string secret makes it rebuild the key on every call, which costs more
 * than the verification itself.
 *
 * A client sends the same token with every request until it expires, so a token whose signature
 * was checked once is remembered (the exact string, with its user and expiry) and not checked
 * again: verifying costs several microseconds, a lookup almost nothing. Only tokens that passed
 * the full check are remembered, a remembered token still expires on time, and a token differing
 * by a single character is a different key that gets the full check.
 */
export class AccessTokens {
	private readonly key: KeyObject;
	private readonly verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();

	constructor(
		secret: string,
		private readonly ttlSeconds: number,
	) {
		this.key = createSecretKey(Buffer.from(secret, "utf8"));
	}

	issue(user: AuthUser, now: Date): IssuedToken {
		const issuedAt = Math.floor(now.getTime() / 1000);
		const exp = issuedAt + this.ttlSeconds;
		const token = jwt.sign({ sub: user.id, role: user.role, iat: issuedAt, exp }, this.key, {
			algorithm: ALGORITHM,
		});
		return { token, expiresAt: new Date(exp * 1000) };
	}

	/** The caller the token names; a 401 of the matching type for anything else. */
	verify(token: string, now = new Date()): AuthUser {
		const known = this.verified.get(token);
		if (known && now.getTime() < known.expiresAtMs) return known.user;
		if (known) this.verified.delete(token);

		let claims: jwt.JwtPayload | string;
		try {
			// Pinning the algorithm list is what stops a token signed with "none" or RS256 tricks.
			claims = jwt.verify(token, this.key, { algorithms: [ALGORITHM], clockTimestamp: Math.floor(now.getTime() / 1000) });
		} catch (err) {
			if (err instanceof jwt.TokenExpiredError) throw new UnauthorizedError("TOKEN_EXPIRED", "The token has expired");
			throw new UnauthorizedError("TOKEN_INVALID", "The token is invalid");
		}
		if (
			typeof claims === "string" ||
			typeof claims.sub !== "string" ||
			!(ROLES as readonly unknown[]).includes(claims.role) ||
			typeof claims.exp !== "number"
		) {
			throw new UnauthorizedError("TOKEN_INVALID", "The token is invalid");
		}
		const user: AuthUser = Object.freeze({ id: claims.sub, role: claims.role as Role });
		if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
		this.verified.set(token, { user, expiresAtMs: claims.exp * 1000 });
		return user;
	}
}
