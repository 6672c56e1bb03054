/** Pages of a list as links (so each page has its URL), the current one marked for screen readers. */
export function Pager(props: { page: number; totalPages: number; href: (page: number) => string }) {
	if (props.totalPages <= 1) return null;
	const pages = Array.from({ length: props.totalPages }, (_, index) => index + 1).filter(
		(page) => page === 1 || page === props.totalPages || Math.abs(page - props.page) <= 2,
	);
	return (
		<nav class="pager" aria-label="Pages">
			<ul>
				{props.page > 1 ? (
					<li>
						<a href={props.href(props.page - 1)} rel="prev">
							Previous
						</a>
					</li>
				) : null}
				{pages.map((page, index) => (
					<li key={page}>
						{index > 0 && page - pages[index - 1]! > 1 ? <span aria-hidden="true">… </span> : null}
						<a href={props.href(page)} aria-current={page === props.page ? "page" : undefined} aria-label={`Page ${page}`}>
							{String(page)}
						</a>
					</li>
				))}
				{props.page < props.totalPages ? (
					<li>
						<a href={props.href(props.page + 1)} rel="next">
							Next
						</a>
					</li>
				) : null}
			</ul>
		</nav>
	);
}
