import { PageTitle } from "../components/ui";

export function NotFoundPage() {
	return (
		<>
			<PageTitle title="Page not found">Page not found</PageTitle>
			<p>
				There is no such page in the shop. <a href="/">Browse the catalogue</a>
			</p>
		</>
	);
}
