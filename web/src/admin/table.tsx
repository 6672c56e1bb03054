import type { ComponentChildren } from "preact";

/*
 * A wide table at phone width scrolls sideways inside this box instead of widening the page.
 * The box takes the keyboard's focus (and has a name), so someone without a mouse can scroll it
 * with the arrow keys too: axe's scrollable-region-focusable.
 */
export function TableScroll(props: { label: string; children: ComponentChildren }) {
	return (
		<div class="table-scroll" role="region" aria-label={props.label} tabIndex={0}>
			{props.children}
		</div>
	);
}
