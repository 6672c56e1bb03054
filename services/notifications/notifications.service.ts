import path from "node:path";
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from "moleculer";
import type { Customer, Notification, NotificationsOfOrder, OrderRef, Page, PageParams, ShopMeta } from "../../contracts";
import { pageParams } from "../../lib/paging";
import { idRule } from "../../lib/rules";
import { ConsumerMixin } from "../../mixins/events";
import type { StoreService } from "../../mixins/store.mixin";
import { createMailer, type Mailer } from "./mailer";
import { renderEmail, type NotifyingEvent } from "./templates";
import { loadConfig } from "../../lib/env";

interface NotificationDoc extends Omit<Notification, "id"> {
	[key: string]: unknown;
	/** The id of the event that caused it: one email per event, however often it is delivered. */
	_id: string;
	messageId?: string;
	file?: string;
}

type Collections = { notifications: NotificationDoc };

function toNotification({ _id, customerId, orderId, kind, to, subject, status, createdAt, sentAt }: NotificationDoc): Notification {
	return {
		id: _id,
		customerId,
		orderId,
		kind,
		to,
		subject,
		status,
		createdAt,
		...(sentAt ? { sentAt } : {}),
	};
}

interface Methods {
	notify(event: NotifyingEvent, ctx: Context<unknown, ShopMeta>): Promise<void>;
}

type Vars = StoreService<Collections> & { mailer: Mailer };
type NotificationsService = Service & Vars & Methods;

/** Notifications: an email for each order outcome and each step of its parcel, sent once per event, kept for the customer to read. */
export default function notificationsService(): ServiceSchema<ServiceSettingSchema, Methods, Vars> {
	const config = loadConfig();
	return {
		name: "notifications",
		mixins: [
			// It publishes nothing: a store and an inbox for the events it turns into emails.
			ConsumerMixin<Collections>(config, { notifications: { indexes: [{ field: "customerId" }, { field: "orderId" }] } }),
		],

		// Each email's record is keyed by its event and says whether it was sent: a duplicate finds it.
		handledInAggregate: ["order.confirmed", "order.cancelled", "payment.refunded", "shipment.dispatched", "shipment.delivered"],

		domainEvents: {
			async "order.confirmed"(event, ctx) {
				await this.notify(event, ctx);
			},
			async "order.cancelled"(event, ctx) {
				await this.notify(event, ctx);
			},
			async "payment.refunded"(event, ctx) {
				await this.notify(event, ctx);
			},
			async "shipment.dispatched"(event, ctx) {
				await this.notify(event, ctx);
			},
			async "shipment.delivered"(event, ctx) {
				await this.notify(event, ctx);
			},
		},

		actions: {
			list: {
				auth: "customer",
				params: { $$strict: true, ...pageParams },
				async handler(this: NotificationsService, ctx: Context<PageParams, ShopMeta>): Promise<Page<Notification>> {
					return this.collections.notifications.findPage({ customerId: ctx.meta.user!.id }, ["-createdAt", "_id"], ctx.params, toNotification);
				},
			},

			/** For the order's timeline (orders.timeline): the emails about one order, oldest first. */
			ofOrder: {
				visibility: "public",
				params: { $$strict: true, orderId: idRule },
				async handler(this: NotificationsService, ctx: Context<OrderRef, ShopMeta>): Promise<NotificationsOfOrder> {
					// An order has at most one email per outcome (confirmed, cancelled, refunded, dispatched, delivered): the limit is a guard, not a page.
					const docs = await this.collections.notifications.find({ query: { orderId: ctx.params.orderId }, sort: ["createdAt", "_id"], limit: 100 });
					return docs.map(toNotification);
				},
			},
		},

		methods: {
			async notify(this: NotificationsService, event: NotifyingEvent, ctx: Context<unknown, ShopMeta>): Promise<void> {
				const notifications = this.collections.notifications;
				const customer = await ctx.call<Customer, { id: string }>("customers.get", { id: event.customerId });
				const email = renderEmail(event, customer.name);
				const doc: NotificationDoc = {
					_id: event.id,
					customerId: event.customerId,
					orderId: event.orderId,
					kind: event.type,
					to: customer.email,
					subject: email.subject,
					status: "SENDING",
					createdAt: new Date().toISOString(),
				};
				// The email's record is keyed by the event: most events are new, so insert first, and
				// read only for one seen before (sent already: nothing to do; SENDING: send again).
				if (!(await notifications.insertIfAbsent(doc)) && (await notifications.findOne({ _id: event.id }))?.status === "SENT") return;
				// At-least-once: if we stop between sending and recording, the retry sends it again.
				const sent = await this.mailer.send({ id: event.id, from: config.notifications.mailFrom, to: customer.email, ...email });
				await notifications.update(
					{ _id: event.id },
					{ $set: { status: "SENT", sentAt: new Date().toISOString(), messageId: sent.messageId, ...(sent.file ? { file: sent.file } : {}) } },
				);
				this.logger.info(`[order ${event.orderId}] email "${email.subject}" sent to customer ${event.customerId}`);
			},
		},

		created(this: NotificationsService) {
			this.mailer = createMailer({ smtpUrl: config.notifications.smtpUrl, dir: path.join(config.dataDir, "notifications", "mail") });
		},

		stopped(this: NotificationsService) {
			this.mailer.close();
		},
	};
}
