import { useState } from "preact/hooks";
import { asApiError, type ApiError } from "../api/errors";

/*
 * Something the page does when asked (a form sent, a button pressed): whether it is running, to
 * disable the control meanwhile, and its refusal in words (the console passes its own words).
 */
export function useAction(toError: (err: unknown) => ApiError = asApiError) {
	const [busy, setBusy] = useState(false);
	const [error, setError] = useState<ApiError>();
	const run = async (work: () => Promise<void>) => {
		setBusy(true);
		setError(undefined);
		try {
			await work();
		} catch (err) {
			setError(toError(err));
		} finally {
			setBusy(false);
		}
	};
	return { busy, error, run };
}
