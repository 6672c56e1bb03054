import jwt from "jsonwebtoken";
import { AccessTokens } from "./auth-token";
import { UnauthorizedError } from "./errors";

const SECRET = "unit-test-secret-that-is-at-least-32-bytes";
const TTL_SECONDS = 3600;

function base64url(value: unknown): string {
	return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** A payload that would be accepted if it were signed properly. */
function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	const iat = Math.floor(Date.now() / 1000);
	return { sub: "customer-1", role: "customer", iat, exp: iat + TTL_SECONDS, ...overrides };
}

/** The claims signed with the secret the tokens under test use, by `algorithm` (AccessTokens' own is HS256). */
function signed(claims: Record<string, unknown>, algorithm: jwt.Algorithm = "HS256"): string {
	return jwt.sign(claims, SECRET, { algorithm });
}

/** The UnauthorizedError `fn` throws, or a failure when it throws nothing. */
function rejection(fn: () => unknown): UnauthorizedError {
	try {
		fn();
	} catch (err) {
		expect(err).toBeInstanceOf(UnauthorizedError);
		return err as UnauthorizedError;
	}
	throw new Error("expected an UnauthorizedError");
}

describe("AccessTokens", () => {
	const tokens = new AccessTokens(SECRET, TTL_SECONDS);

	describe("issue", () => {
		it("expires the token ttl seconds after now, rounded down to the second", () => {
			const now = new Date("2030-01-01T12:00:00.750Z");
			const { expiresAt } = tokens.issue({ id: "c1", role: "customer" }, now);
			expect(expiresAt.toISOString()).toBe("2030-01-01T13:00:00.000Z");
		});

		it("signs an HS256 token carrying the user id, role and times", () => {
			const now = new Date("2030-01-01T12:00:00Z");
			const { token } = tokens.issue({ id: "c1", role: "admin" }, now);
			const decoded = jwt.decode(token, { complete: true });
			expect(decoded?.header.alg).toBe("HS256");
			const iat = Math.floor(now.getTime() / 1000);
			expect(decoded?.payload).toEqual({ sub: "c1", role: "admin", iat, exp: iat + TTL_SECONDS });
		});
	});

	describe("verify", () => {
		it("returns the user a freshly issued token names", () => {
			const { token } = tokens.issue({ id: "customer-42", role: "customer" }, new Date());
			expect(tokens.verify(token)).toEqual({ id: "customer-42", role: "customer" });
		});

		it("returns the admin role for an admin token", () => {
			const { token } = tokens.issue({ id: "admin-1", role: "admin" }, new Date());
			expect(tokens.verify(token)).toEqual({ id: "admin-1", role: "admin" });
		});

		it("accepts a token issued by another instance with the same secret", () => {
			const { token } = new AccessTokens(SECRET, 60).issue({ id: "c2", role: "customer" }, new Date());
			expect(tokens.verify(token)).toEqual({ id: "c2", role: "customer" });
		});

		it("refuses an expired token with TOKEN_EXPIRED", () => {
			const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
			const { token } = tokens.issue({ id: "c1", role: "customer" }, twoHoursAgo);
			const err = rejection(() => tokens.verify(token));
			expect(err.type).toBe("TOKEN_EXPIRED");
			expect(err.code).toBe(401);
		});

		it("refuses a token signed with another secret with TOKEN_INVALID", () => {
			const other = new AccessTokens("another-secret-that-is-also-32-bytes-long", TTL_SECONDS);
			const { token } = other.issue({ id: "c1", role: "admin" }, new Date());
			const err = rejection(() => tokens.verify(token));
			expect(err.type).toBe("TOKEN_INVALID");
			expect(err.code).toBe(401);
		});

		it('refuses an unsigned token with alg "none"', () => {
			const token = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(validClaims({ role: "admin" }))}.`;
			const err = rejection(() => tokens.verify(token));
			expect(err.type).toBe("TOKEN_INVALID");
			expect(err.code).toBe(401);
		});

		it("refuses an HS512 token even when it is signed with the same secret", () => {
			const token = signed(validClaims(), "HS512");
			// The same claims signed with HS256 are accepted, so only the algorithm is at fault.
			expect(tokens.verify(signed(validClaims(), "HS256"))).toEqual({
				id: "customer-1",
				role: "customer",
			});
			const err = rejection(() => tokens.verify(token));
			expect(err.type).toBe("TOKEN_INVALID");
			expect(err.code).toBe(401);
		});

		it("refuses a properly signed token whose role is not customer or admin", () => {
			const token = signed(validClaims({ role: "superuser" }));
			const err = rejection(() => tokens.verify(token));
			expect(err.type).toBe("TOKEN_INVALID");
			expect(err.code).toBe(401);
		});

		it.each([
			["without a role", "role"],
			["that never expires", "exp"],
		])("refuses a properly signed token %s", (_label, missing) => {
			const claims = validClaims();
			delete claims[missing];
			expect(rejection(() => tokens.verify(signed(claims))).type).toBe("TOKEN_INVALID");
		});

		it("refuses a properly signed token whose subject is not a string", () => {
			const token = signed(validClaims({ sub: 42 }));
			expect(rejection(() => tokens.verify(token)).type).toBe("TOKEN_INVALID");
		});

		it("refuses a token whose payload was altered after signing", () => {
			const { token } = tokens.issue({ id: "c1", role: "customer" }, new Date());
			const [header, , signature] = token.split(".");
			const forged = `${header}.${base64url(validClaims({ sub: "c1", role: "admin" }))}.${signature}`;
			expect(rejection(() => tokens.verify(forged)).type).toBe("TOKEN_INVALID");
		});

		it.each(["", "garbage", "a.b.c"])("refuses the malformed token %p", (token) => {
			expect(rejection(() => tokens.verify(token)).type).toBe("TOKEN_INVALID");
		});
	});

	describe("verify, for a token it has verified before", () => {
		const issuedAt = new Date("2030-05-01T10:00:00Z");
		const after = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);

		it("checks the signature once, however often the token is presented", () => {
			const fresh = new AccessTokens(SECRET, TTL_SECONDS);
			const { token } = fresh.issue({ id: "c7", role: "customer" }, issuedAt);
			const checks = jest.spyOn(jwt, "verify");
			try {
				for (let i = 0; i < 5; i++) expect(fresh.verify(token, after(60 + i))).toEqual({ id: "c7", role: "customer" });
				expect(checks).toHaveBeenCalledTimes(1);
			} finally {
				checks.mockRestore();
			}
		});

		it("still refuses it once it has expired", () => {
			const fresh = new AccessTokens(SECRET, TTL_SECONDS);
			const { token } = fresh.issue({ id: "c7", role: "customer" }, issuedAt);
			expect(fresh.verify(token, after(TTL_SECONDS - 1))).toEqual({ id: "c7", role: "customer" });
			expect(rejection(() => fresh.verify(token, after(TTL_SECONDS))).type).toBe("TOKEN_EXPIRED");
		});

		it("refuses a forgery made from it", () => {
			const fresh = new AccessTokens(SECRET, TTL_SECONDS);
			const { token } = fresh.issue({ id: "c7", role: "customer" }, issuedAt);
			fresh.verify(token, after(1));
			const [header, , signature] = token.split(".");
			const forged = `${header}.${base64url({ sub: "c7", role: "admin", iat: 1, exp: 4_000_000_000 })}.${signature}`;
			expect(rejection(() => fresh.verify(forged, after(2))).type).toBe("TOKEN_INVALID");
			expect(rejection(() => fresh.verify(`${token}x`, after(2))).type).toBe("TOKEN_INVALID");
		});

		it("hands out a user no caller can change for the next one", () => {
			const fresh = new AccessTokens(SECRET, TTL_SECONDS);
			const { token } = fresh.issue({ id: "c7", role: "customer" }, issuedAt);
			const user = fresh.verify(token, after(1));
			expect(() => {
				(user as { role: string }).role = "admin";
			}).toThrow(TypeError);
			expect(fresh.verify(token, after(2)).role).toBe("customer");
		});
	});
});
