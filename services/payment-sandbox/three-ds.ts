import type { SandboxBooks } from "./books";
import { html, type Answer } from "./http-io";
import type { PaymentIntent } from "./intent";

/*
 * The 3-D Secure page the tok_3ds card sends its customer to, in place of the card issuer's: a
 * plain HTML form (no script, no external asset) with Approve and Refuse. It needs no API key,
 * as the customer's browser has none, but the intent's secret from next_action's URL; without
 * it the page does not exist (404), so that an intent id alone decides nothing.
 */

/** No script, styles only inline, not framed (a payment page must not be overlaid), no referrer (the URL holds the secret). */
const PAGE_HEADERS = {
	"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
	"x-frame-options": "DENY",
	"referrer-policy": "no-referrer",
};

const STYLE = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f6;color:#1a1a1a}
main{max-width:28rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}
.amount{font-size:1.5rem;font-weight:700}
form{display:flex;gap:1rem;margin-top:1.5rem}
button{flex:1;font-size:1rem;padding:.75rem;border-radius:6px;border:2px solid #1a1a1a;cursor:pointer}
button[value=approve]{background:#14532d;border-color:#14532d;color:#fff}
button[value=refuse]{background:#fff;color:#7f1d1d;border-color:#7f1d1d}
button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
.note{color:#4a4a4a;font-size:.875rem}`;

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function formatAmount(intent: PaymentIntent): string {
	return `${(intent.amount / 100).toFixed(2)} ${intent.currency.toUpperCase()}`;
}

function page(status: number, title: string, content: string): Answer {
	const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – Payment sandbox</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${content}
<p class="note">This is the payment sandbox's 3-D Secure page; no real bank is involved.</p>
</main>
</body>
</html>
`;
	return { ...html(status, body), headers: PAGE_HEADERS };
}

function challengePage(intent: PaymentIntent): Answer {
	// No action attribute: the form posts to this very URL, secret included, wherever the sandbox is published.
	return page(
		200,
		"Confirm your payment",
		`<h1>Confirm your payment</h1>
<p>Your card issuer asks you to confirm this payment.</p>
<p>Amount: <span class="amount">${escapeHtml(formatAmount(intent))}</span></p>
<p>Payment: <code>${escapeHtml(intent.id)}</code></p>
<form method="post">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="refuse">Refuse</button>
</form>`,
	);
}

function decidedPage(status: number, intent: PaymentIntent): Answer {
	const outcome =
		intent.status === "succeeded"
			? "approved"
			: intent.status === "requires_action"
				? "waiting for your decision"
				: `no longer waiting for one (${intent.status})`;
	return page(
		status,
		"Payment already decided",
		`<h1>Payment already decided</h1>\n<p>The payment of ${escapeHtml(formatAmount(intent))} is ${escapeHtml(outcome)}.</p>`,
	);
}

function donePage(intent: PaymentIntent): Answer {
	const outcome = intent.status === "succeeded" ? "approved" : "refused";
	return page(
		200,
		"Payment decided",
		`<h1>Payment ${outcome}</h1>\n<p>You ${outcome} the payment of ${escapeHtml(formatAmount(intent))}. You can close this page.</p>`,
	);
}

function notFoundPage(): Answer {
	return page(404, "Not found", "<h1>Not found</h1>\n<p>There is no payment to confirm at this address.</p>");
}

/** Where the customer goes back to: the return URL with the intent's id added, as Stripe does. */
function returnLocation(returnUrl: string, intentId: string): string {
	const url = new URL(returnUrl);
	url.searchParams.append("payment_intent", intentId);
	return url.toString();
}

/** The answer to GET or POST /3ds/:id?secret=…; the POST's form body is read only once the secret is right. */
export async function answerChallenge(
	books: SandboxBooks,
	method: string,
	id: string,
	query: URLSearchParams,
	readForm: () => Promise<Buffer>,
): Promise<Answer> {
	if (method !== "GET" && method !== "POST")
		return { ...page(405, "Method not allowed", "<h1>Method not allowed</h1>"), headers: { ...PAGE_HEADERS, allow: "GET, POST" } };
	const challenge = await books.challenge(id, query.get("secret") ?? "");
	if (!challenge) return notFoundPage();
	if (method === "GET") return challenge.intent.status === "requires_action" ? challengePage(challenge.intent) : decidedPage(200, challenge.intent);

	if (challenge.intent.status !== "requires_action") return decidedPage(409, challenge.intent);
	const decision = new URLSearchParams((await readForm()).toString("utf8")).get("decision");
	if (decision !== "approve" && decision !== "refuse") {
		return page(400, "Choose Approve or Refuse", `<h1>Choose Approve or Refuse</h1>\n<p>The form did not say which.</p>`);
	}
	const decided = await books.authenticate(id, decision);
	if (!decided) return decidedPage(409, await books.intent(id));
	if (!challenge.returnUrl) return donePage(decided);
	return { status: 303, body: "", headers: { location: returnLocation(challenge.returnUrl, id) } };
}
