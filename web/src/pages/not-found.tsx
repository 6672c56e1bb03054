import { PageTitle } from "../components/ui";
import { Link } from "../router";

export function NotFoundPage() {
	return (
		<>
			<PageTitle title="Page not found">Page not found</PageTitle>
			<p>
				There is no such page in the shop. <Link href="/">Browse the catalogue</Link>
			</p>
		</>
	);
}
