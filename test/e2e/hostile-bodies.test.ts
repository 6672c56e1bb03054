import zlib from "node:zlib";
import { http, startShopWithUsers, type TestShop } from "../helpers/shop";
import { JSON_TYPE, nested, rawRequest, type RawResponse } from "../helpers/raw-http";

/*
 * Bodies built to crash or confuse the node: nesting deep enough to overflow any recursive
 * walker (the validator, error rendering, logging), bodies that are not what their headers say,
 * and bodies past the limit. Whatever arrives, the answer is a 4xx in the one error shape and
 * the node goes on serving.
 */

function expectRefused(res: RawResponse, status: number, type: string) {
	expect({ status: res.status, type: res.json?.error?.type }).toEqual({ status, type });
	expect(res.json).toEqual({ error: expect.objectContaining({ message: expect.any(String), code: status }) });
}

describe("hostile request bodies", () => {
	let shop: TestShop, customer: string, admin: string;
	beforeAll(async () => ({ shop, customer, admin } = await startShopWithUsers("bodies@example.com", { env: { BODY_LIMIT: "64kb" } })));
	afterAll(() => shop.destroy());

	/** The node still answers, and nothing an attack sent was stored. */
	async function expectStillServing() {
		const health = await http(shop.baseUrl).get("/health");
		expect(health.status).toBe(200);
	}

	describe("nesting deep enough to overflow a recursive walker", () => {
		// About 30 kB and 6000 levels: what once stopped the node from an anonymous request.
		const targets = [
			{
				name: "an anonymous registration's email",
				path: "/auth/register",
				token: undefined,
				wrap: (deep: string) => `{"email":${deep},"password":"long-enough-pw","name":"N"}`,
			},
			{ name: "an order's items", path: "/orders", token: () => customer, wrap: (deep: string) => `{"items":${deep},"shippingAddress":{}}` },
			{ name: "a product's name", path: "/products", token: () => admin, wrap: (deep: string) => `{"name":${deep}}` },
			{ name: "the whole body", path: "/auth/login", token: undefined, wrap: (deep: string) => deep },
		];
		for (const target of targets) {
			for (const kind of ["object", "array"] as const) {
				it(`refuses ${kind}s nested 6000 deep in ${target.name} with 400 JSON_TOO_DEEP and keeps serving`, async () => {
					const token = target.token?.();
					const res = await rawRequest(shop.baseUrl, {
						method: "POST",
						path: target.path,
						headers: { ...JSON_TYPE, ...(token ? { authorization: `Bearer ${token}` } : {}) },
						body: target.wrap(nested(6000, kind)),
					});
					expectRefused(res, 400, "JSON_TOO_DEEP");
					await expectStillServing();
				});
			}
		}

		it("refuses nesting just past the bound and accepts it at the bound (17 vs 16 levels)", async () => {
			const at = (depth: number) =>
				rawRequest(shop.baseUrl, {
					method: "POST",
					path: "/auth/login",
					headers: JSON_TYPE,
					body: `{"email":${nested(depth - 1, "array")},"password":"x"}`,
				});
			expectRefused(await at(17), 400, "JSON_TOO_DEEP");
			// At the bound the body is parsed and the validator refuses it like any wrong email.
			expectRefused(await at(16), 422, "VALIDATION_ERROR");
		});

		it("does not count brackets inside strings as nesting", async () => {
			const res = await rawRequest(shop.baseUrl, {
				method: "POST",
				path: "/auth/login",
				headers: JSON_TYPE,
				body: JSON.stringify({ email: "[[[[{{{{".repeat(100), password: "x" }),
			});
			expectRefused(res, 422, "VALIDATION_ERROR");
		});

		it("answers a wide but shallow body within the limit without echoing it", async () => {
			const wide = JSON.stringify({
				email: "w@example.com",
				password: "long-enough-pw",
				name: "W",
				...Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i])),
			});
			const res = await rawRequest(shop.baseUrl, { method: "POST", path: "/auth/register", headers: JSON_TYPE, body: wide });
			expectRefused(res, 422, "VALIDATION_ERROR");
			expect(res.text.length).toBeLessThan(4096);
			await expectStillServing();
		});
	});

	describe("bodies that are not what they claim", () => {
		const login = JSON.stringify({ email: "bodies@example.com", password: "correct-horse-battery" });

		for (const encoding of ["gzip", "deflate", "br", "compress", "gzip, identity"]) {
			it(`refuses a plain body sent as Content-Encoding: ${encoding} with 415`, async () => {
				const res = await rawRequest(shop.baseUrl, {
					method: "POST",
					path: "/auth/login",
					headers: { ...JSON_TYPE, "content-encoding": encoding },
					body: login,
				});
				expectRefused(res, 415, "UNSUPPORTED_ENCODING");
			});
		}

		it("refuses a really compressed body with 415 too (no decompression bombs)", async () => {
			const res = await rawRequest(shop.baseUrl, {
				method: "POST",
				path: "/auth/login",
				headers: { ...JSON_TYPE, "content-encoding": "gzip" },
				body: zlib.gzipSync(login),
			});
			expectRefused(res, 415, "UNSUPPORTED_ENCODING");
		});

		for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", ""]) {
			it(`refuses a body sent as '${contentType || "no Content-Type"}' with 415`, async () => {
				const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
				const res = await rawRequest(shop.baseUrl, { method: "POST", path: "/auth/login", headers, body: login });
				expectRefused(res, 415, "UNSUPPORTED_MEDIA_TYPE");
			});
		}

		it("refuses a charset other than UTF-8 with 415 and bytes that are not UTF-8 with 400", async () => {
			expectRefused(
				await rawRequest(shop.baseUrl, {
					method: "POST",
					path: "/auth/login",
					headers: { "content-type": "application/json; charset=latin1" },
					body: login,
				}),
				415,
				"UNSUPPORTED_CHARSET",
			);
			const invalid = Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('","password":"x"}')]);
			expectRefused(await rawRequest(shop.baseUrl, { method: "POST", path: "/auth/login", headers: JSON_TYPE, body: invalid }), 400, "INVALID_ENCODING");
		});

		it("accepts application/json with a UTF-8 charset, in any case", async () => {
			const res = await rawRequest(shop.baseUrl, {
				method: "POST",
				path: "/auth/login",
				headers: { "content-type": "Application/JSON; Charset=UTF-8" },
				body: login,
			});
			expect(res.status).toBe(200);
		});

		for (const body of ["{", '{"email": "a@b.c",}', "undefined", "\u0000", "NaN"]) {
			it(`answers malformed JSON ${JSON.stringify(body)} with 400 MALFORMED_JSON`, async () => {
				expectRefused(await rawRequest(shop.baseUrl, { method: "POST", path: "/auth/login", headers: JSON_TYPE, body }), 400, "MALFORMED_JSON");
			});
		}
	});

	describe("null where a value belongs", () => {
		it("refuses null in optional fields with 422 and stores nothing", async () => {
			const product = (await http(shop.baseUrl).get("/products?pageSize=1")).body.rows[0];
			for (const field of ["sku", "name", "category", "priceCents", "stock", "active"]) {
				const res = await rawRequest(shop.baseUrl, {
					method: "PATCH",
					path: `/products/${product.id}`,
					headers: { ...JSON_TYPE, authorization: `Bearer ${admin}` },
					body: JSON.stringify({ [field]: null }),
				});
				expectRefused(res, 422, "VALIDATION_ERROR");
			}
			const me = await rawRequest(shop.baseUrl, {
				method: "PATCH",
				path: "/me",
				headers: { ...JSON_TYPE, authorization: `Bearer ${customer}` },
				body: JSON.stringify({ name: null }),
			});
			expectRefused(me, 422, "VALIDATION_ERROR");
			const address = { name: "N", line1: "1 St", line2: null, city: "C", postalCode: "1", country: "US" };
			const addresses = await rawRequest(shop.baseUrl, {
				method: "PATCH",
				path: "/me",
				headers: { ...JSON_TYPE, authorization: `Bearer ${customer}` },
				body: JSON.stringify({ addresses: [address] }),
			});
			expectRefused(addresses, 422, "VALIDATION_ERROR");
			expect(await http(shop.baseUrl).get(`/products/${product.id}`)).toMatchObject({ body: product });
		});
	});

	describe("characters outside the Basic Multilingual Plane", () => {
		it("counts each as one character, as the document's maxLength does", async () => {
			const name = "😀".repeat(100);
			const address = { name, line1: "𝔸".repeat(200), city: "C", postalCode: "🏠".repeat(20), country: "GB" };
			const res = await rawRequest(shop.baseUrl, {
				method: "PATCH",
				path: "/me",
				headers: { ...JSON_TYPE, authorization: `Bearer ${customer}` },
				body: JSON.stringify({ name, addresses: [address] }),
			});
			expect(res.status).toBe(200);
			expect(res.json).toMatchObject({ name, addresses: [address] });
			const tooLong = await rawRequest(shop.baseUrl, {
				method: "PATCH",
				path: "/me",
				headers: { ...JSON_TYPE, authorization: `Bearer ${customer}` },
				body: JSON.stringify({ name: "😀".repeat(101) }),
			});
			expectRefused(tooLong, 422, "VALIDATION_ERROR");
		});
	});

	describe("bodies past the limit", () => {
		it("refuses a body whose Content-Length is over the limit without reading it", async () => {
			const res = await rawRequest(shop.baseUrl, {
				method: "POST",
				path: "/auth/register",
				headers: JSON_TYPE,
				body: JSON.stringify({ name: "x".repeat(70 * 1024) }),
			});
			expectRefused(res, 413, "PAYLOAD_TOO_LARGE");
		});

		it("refuses a chunked body once it passes the limit", async () => {
			const res = await rawRequest(shop.baseUrl, {
				method: "POST",
				path: "/auth/register",
				headers: JSON_TYPE,
				chunked: true,
				body: JSON.stringify({ name: "x".repeat(70 * 1024) }),
			});
			expectRefused(res, 413, "PAYLOAD_TOO_LARGE");
			await expectStillServing();
		});
	});
});
