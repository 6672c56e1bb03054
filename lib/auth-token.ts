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

/**
 * Signs and verifies the shop's access tokens. The key object is built once: handing
 * jsonwebtoken a plain string secret makes it rebuild the key on every call, which costs more
 * than the verification itself.
 */
export class AccessTokens {
	private readonly key: KeyObject;

	constructor(secret: string, private readonly ttlSeconds: number) {
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
	verify(token: string): AuthUser {
		let claims: jwt.JwtPayload | string;
		try {
			// Pinning the algorithm list is what stops a token signed with "none" or RS256 tricks.
			claims = jwt.verify(token, this.key, { algorithms: [ALGORITHM] });
		} catch (err) {
			if (err instanceof jwt.TokenExpiredError) throw new UnauthorizedError("TOKEN_EXPIRED", "The token has expired");
			throw new UnauthorizedError("TOKEN_INVALID", "The token is invalid");
		}
		if (typeof claims === "string" || typeof claims.sub !== "string" || !ROLES.includes(claims.role)) {
			throw new UnauthorizedError("TOKEN_INVALID", "The token is invalid");
		}
		return { id: claims.sub, role: claims.role as Role };
	}
}
