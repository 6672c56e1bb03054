import { useLocation } from "preact-iso/router";
import { useState } from "preact/hooks";
import { api, call } from "../api/client";
import { asApiError } from "../api/errors";
import { mergeError, mergeGuestCart, mergeNotes } from "../cart/cart";
import { Alert, Field, PageTitle } from "../components/ui";
import { useAction } from "../components/use-action";
import { startSession } from "../session";
import { withQuery, type Query } from "../router";

/*
 * Log in and register. Either ends logged in, with the guest's cart merged into the account's
 * (POST /api/cart/merge), on the page the customer came from (?next=, a path of this site only).
 */

function nextOf(query: Query): string {
	const next = query.next ?? "/";
	// Only a path of this site: `//host` or `https://…` would send the customer elsewhere.
	return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

async function logIn(email: string, password: string): Promise<void> {
	const result = await call(api.POST("/auth/login", { body: { email, password } }));
	startSession({ token: result.token, expiresAt: result.expiresAt, customer: result.customer });
	try {
		mergeNotes.set(await mergeGuestCart());
		mergeError.set(undefined);
	} catch (err) {
		// The login stands; the guest cart stays in the browser for the next try.
		mergeError.set(asApiError(err).message);
	}
}

export function LoginPage() {
	const { query, route } = useLocation();
	const [email, setEmail] = useState("");
	const [password, setPassword] = useState("");
	const form = useAction();
	const next = nextOf(query);
	const fields = form.error?.fields ?? {};
	return (
		<>
			<PageTitle title="Log in">Log in</PageTitle>
			<form
				class="stack narrow"
				noValidate
				onSubmit={(event) => {
					event.preventDefault();
					void form.run(async () => {
						await logIn(email, password);
						route(next, true);
					});
				}}
			>
				<Field id="email" label="Email" type="email" autoComplete="username" required value={email} onInput={setEmail} error={fields.email} />
				<Field
					id="password"
					label="Password"
					type="password"
					autoComplete="current-password"
					required
					value={password}
					onInput={setPassword}
					error={fields.password}
				/>
				{form.error && Object.keys(fields).length === 0 ? <Alert error={form.error} /> : null}
				<button type="submit" disabled={form.busy}>
					Log in
				</button>
			</form>
			<p>
				New here? <a href={withQuery("/register", { next: next === "/" ? undefined : next })}>Create an account</a>
			</p>
		</>
	);
}

export function RegisterPage() {
	const { query, route } = useLocation();
	const [name, setName] = useState("");
	const [email, setEmail] = useState("");
	const [password, setPassword] = useState("");
	const form = useAction();
	const next = nextOf(query);
	const fields = form.error?.fields ?? {};
	return (
		<>
			<PageTitle title="Create an account">Create an account</PageTitle>
			<form
				class="stack narrow"
				noValidate
				onSubmit={(event) => {
					event.preventDefault();
					void form.run(async () => {
						await call(api.POST("/auth/register", { body: { name, email, password } }));
						await logIn(email, password);
						route(next, true);
					});
				}}
			>
				<Field id="name" label="Name" autoComplete="name" required value={name} onInput={setName} error={fields.name} />
				<Field
					id="email"
					label="Email"
					type="email"
					autoComplete="email"
					required
					value={email}
					onInput={setEmail}
					error={fields.email ?? (form.error?.type === "EMAIL_TAKEN" ? form.error.message : undefined)}
				/>
				<Field
					id="password"
					label="Password"
					type="password"
					autoComplete="new-password"
					required
					hint="At least 8 characters."
					value={password}
					onInput={setPassword}
					error={fields.password}
				/>
				{form.error && Object.keys(fields).length === 0 && form.error.type !== "EMAIL_TAKEN" ? <Alert error={form.error} /> : null}
				<button type="submit" disabled={form.busy}>
					Create the account
				</button>
			</form>
			<p>
				Have an account? <a href={withQuery("/login", { next: next === "/" ? undefined : next })}>Log in</a>
			</p>
		</>
	);
}
