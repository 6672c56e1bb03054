import { useEffect, useState } from "preact/hooks";
import { Alert, Loading, PageTitle } from "../components/ui";
import { sessionStore } from "../session";
import { useStore } from "../store";

/*
 * The way into the admin console (/admin…). The console is its own chunk, fetched by import()
 * the first time an admin opens it, so a shopper's first page never carries its code
 * (scripts/web/bundle-size.ts counts only static imports). A customer is told the console is not
 * for them and never downloads it; the API refuses them every admin route anyway, this is
 * only so that the page says so in words instead of showing empty tables.
 */

type ConsoleModule = typeof import("../admin/console");

/** Kept once loaded: going back to the console later does not show "Loading" again. */
let loaded: ConsoleModule | undefined;

export function AdminGate() {
	const session = useStore(sessionStore);
	const isAdmin = session?.customer.role === "admin";
	const [module, setModule] = useState(loaded);
	const [failed, setFailed] = useState(false);

	useEffect(() => {
		if (!isAdmin || module) return;
		let current = true;
		import("../admin/console").then(
			(imported) => {
				loaded = imported;
				if (current) setModule(imported);
			},
			() => current && setFailed(true),
		);
		return () => {
			current = false;
		};
	}, [isAdmin, module]);

	if (!isAdmin) {
		return (
			<>
				<PageTitle title="Admin console">Admin console</PageTitle>
				<Alert error="This console is for administrators. Your account is a customer account, so there is nothing to see here." />
			</>
		);
	}
	if (failed) return <Alert error="The admin console could not be loaded. Check the connection, then reload the page." />;
	if (!module) return <Loading what="the admin console" />;
	return <module.AdminConsole />;
}
