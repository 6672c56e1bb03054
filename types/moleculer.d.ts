import "moleculer";
import type { Role } from "../contracts/common";

// Which role an action needs is declared on the action itself and enforced in one place, the
// gateway's authorize hook; no declaration means the action is public.
declare module "moleculer/src/service" {
	interface ActionSchema<TThis> {
		auth?: Role;
	}
}
