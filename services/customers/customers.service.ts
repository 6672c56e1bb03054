import { randomUUID } from "node:crypto";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type {
	Customer,
	ListCustomersParams,
	ListCustomersResult,
	LoginParams,
	LoginResult,
	RegisterParams,
	ShopMeta,
	UpdateProfileParams,
} from "../../contracts";
import { AccessTokens } from "../../lib/auth-token";
import { ConflictError, NotFoundError, UnauthorizedError } from "../../lib/errors";
import { pageParams } from "../../lib/paging";
import { addressRule, idRule } from "../../lib/rules";
import { EventsMixin, type EventsStore, newEvent, type EventsService } from "../../mixins/events";
import { DuplicateKeyError, type StoreService } from "../../mixins/store.mixin";
import { customerQuery, newCustomer, normalizeEmail, profileChanges, toCustomer, type CustomerDoc } from "./customer";
import { decoyHash, hashPassword, verifyPassword } from "./password";
import { loadConfig } from "../../lib/env";

type Collections = { customers: CustomerDoc };

/** One account per email: the unique index is the arbiter between concurrent sign-ups. */
const STORE: EventsStore<Collections> = {
	collections: { customers: { indexes: [{ field: "email", unique: true }] } },
	outboxes: ["customers"],
};

interface Methods {
	findCustomer(id: string): Promise<CustomerDoc>;
	ensureAdmin(): Promise<void>;
}

type Vars = EventsService & StoreService<Collections> & { tokens: AccessTokens };
type CustomersService = Service & Vars & Methods;
type Ctx<P> = Context<P, ShopMeta>;

const email = { type: "email", normalize: true, max: 254 } as const;
/** Customers: accounts, sign-in with JWTs, profiles; the admin account is seeded from ADMIN_EMAIL. */
export default function customersService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "customers",
		mixins: [EventsMixin<Collections>(config, STORE)],

		publishes: ["customer.registered"],

		actions: {
			register: {
				params: {
					$$strict: true,
					email,
					// Upper bound: scrypt is fed the whole password, so an unbounded one is a cheap DoS.
					password: { type: "string", min: 8, max: 256 },
					name: { type: "string", trim: true, min: 1, max: 100 },
				},
				async handler(this: CustomersService, ctx: Ctx<RegisterParams>): Promise<Customer> {
					const now = new Date();
					const normalized = normalizeEmail(ctx.params.email);
					// Cheap pre-check so a duplicate does not cost a password hash; the unique index
					// still decides when two registrations race.
					if (await this.collections.customers.findOne({ email: normalized })) {
						throw new ConflictError("EMAIL_TAKEN", "An account with this email already exists");
					}
					const doc = newCustomer(
						{ email: normalized, name: ctx.params.name, role: "customer" },
						randomUUID(),
						await hashPassword(ctx.params.password),
						now,
					);
					try {
						await this.insertWithEvents(
							"customers",
							doc,
							[newEvent("customer.registered", { customerId: doc._id, email: doc.email, name: doc.name }, doc._id)],
							now,
						);
					} catch (err) {
						if (err instanceof DuplicateKeyError) throw new ConflictError("EMAIL_TAKEN", "An account with this email already exists");
						throw err;
					}
					ctx.meta.$statusCode = 201;
					// The new account reads itself at /api/me once logged in.
					ctx.meta.$location = "/api/me";
					return toCustomer(doc);
				},
			},

			login: {
				params: { $$strict: true, email, password: { type: "string", min: 1, max: 256 } },
				async handler(this: CustomersService, ctx: Ctx<LoginParams>): Promise<LoginResult> {
					const doc = await this.collections.customers.findOne({ email: normalizeEmail(ctx.params.email) });
					const valid = await verifyPassword(ctx.params.password, doc?.passwordHash ?? (await decoyHash()));
					if (!doc || !valid) throw new UnauthorizedError("INVALID_CREDENTIALS", "Email or password is wrong");
					const { token, expiresAt } = this.tokens.issue({ id: doc._id, role: doc.role }, new Date());
					return { token, tokenType: "Bearer", expiresAt: expiresAt.toISOString(), customer: toCustomer(doc) };
				},
			},

			me: {
				auth: "customer",
				params: { $$strict: true },
				async handler(this: CustomersService, ctx: Ctx<Record<string, never>>): Promise<Customer> {
					return toCustomer(await this.findCustomer(ctx.meta.user!.id));
				},
			},

			updateMe: {
				auth: "customer",
				params: {
					$$strict: true,
					name: { type: "string", trim: true, min: 1, max: 100, optional: true },
					addresses: { type: "array", max: 10, items: addressRule, optional: true },
				},
				async handler(this: CustomersService, ctx: Ctx<UpdateProfileParams>): Promise<Customer> {
					const id = ctx.meta.user!.id;
					await this.findCustomer(id);
					await this.collections.customers.update({ _id: id }, { $set: profileChanges(ctx.params, new Date()) });
					return toCustomer(await this.findCustomer(id));
				},
			},

			list: {
				auth: "admin",
				params: { $$strict: true, ...pageParams, q: { type: "string", trim: true, max: 100, optional: true } },
				async handler(this: CustomersService, ctx: Ctx<ListCustomersParams>): Promise<ListCustomersResult> {
					return this.collections.customers.findPage(customerQuery(ctx.params.q), ["createdAt", "_id"], ctx.params, toCustomer);
				},
			},

			/** For other services (orders and notifications need a customer's email and name). */
			get: {
				visibility: "public",
				params: { $$strict: true, id: idRule },
				async handler(this: CustomersService, ctx: Ctx<{ id: string }>): Promise<Customer> {
					return toCustomer(await this.findCustomer(ctx.params.id));
				},
			},
		},

		methods: {
			async findCustomer(this: CustomersService, id: string): Promise<CustomerDoc> {
				const doc = await this.collections.customers.findOne({ _id: id });
				if (!doc) throw new NotFoundError("CUSTOMER_NOT_FOUND", "Customer not found");
				return doc;
			},

			async ensureAdmin(this: CustomersService): Promise<void> {
				const { email: adminEmail, password, isDefaultPassword } = config.admin;
				const existing = await this.collections.customers.findOne({ email: adminEmail });
				if (existing) {
					// The environment is the source of truth for the admin account: a changed
					// ADMIN_PASSWORD takes effect at the next start, and the account is always an admin.
					const changes: Record<string, unknown> = {};
					if (existing.role !== "admin") changes.role = "admin";
					if (!(await verifyPassword(password, existing.passwordHash))) changes.passwordHash = await hashPassword(password);
					if (Object.keys(changes).length > 0) {
						this.logger.warn(`Updating the admin account ${adminEmail} from ADMIN_EMAIL/ADMIN_PASSWORD`);
						await this.collections.customers.update({ _id: existing._id }, { $set: { ...changes, updatedAt: new Date().toISOString() } });
					}
				} else {
					const doc = newCustomer(
						{ email: adminEmail, name: "Administrator", role: "admin" },
						randomUUID(),
						await hashPassword(password),
						new Date(),
					);
					// False when a replica starting at the same moment created it first.
					await this.collections.customers.insertIfAbsent(doc);
				}
				if (isDefaultPassword) {
					this.logger.warn(`Admin account (development default, set ADMIN_EMAIL and ADMIN_PASSWORD to change): ${adminEmail} / ${password}`);
				}
			},
		},

		created(this: CustomersService) {
			this.tokens = new AccessTokens(config.jwt.secret, config.jwt.ttlSeconds);
		},

		async started(this: CustomersService) {
			await this.ensureAdmin();
		},
	};
}
