/** Money is integer cents in the API; shown in the shopper's locale. */
export function money(cents: number, currency = "EUR"): string {
	try {
		return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
	} catch {
		return `${(cents / 100).toFixed(2)} ${currency}`;
	}
}

export function dateTime(iso: string): string {
	return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
