import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { ApiError } from "../api/errors";

/*
 * The few pieces every page uses, each with its accessible markup: a field with its label and
 * its error (aria-invalid, aria-describedby), an alert for an error that is not a field's, and a
 * page heading that takes the focus when the page changes inside the app, so a screen reader announces it.
 */

/**
 * False until the first page of this load has its title. That first page leaves the focus where
 * the browser puts it, at the document's start, so that the first Tab reaches the skip link; each
 * page after it, reached inside the app, moves the focus to its heading.
 */
let firstTitleShown = false;

export function PageTitle(props: { children: ComponentChildren; title: string }) {
	const ref = useRef<HTMLHeadingElement>(null);
	useEffect(() => {
		document.title = `${props.title} · Shop`;
		if (firstTitleShown) ref.current?.focus();
		firstTitleShown = true;
	}, [props.title]);
	return (
		<h1 ref={ref} tabIndex={-1}>
			{props.children}
		</h1>
	);
}

export function Alert(props: { error?: ApiError | string; children?: ComponentChildren }) {
	if (!props.error && !props.children) return null;
	return (
		<p class="alert" role="alert">
			{typeof props.error === "string" ? props.error : props.error?.message}
			{props.children}
		</p>
	);
}

/** A page whose subject could not be read (an order, a product): its title, the error in words, and the way back. */
export function PageError(props: { title: string; heading: string; error: ApiError; back: { href: string; label: string } }) {
	return (
		<>
			<PageTitle title={props.title}>{props.heading}</PageTitle>
			<Alert error={props.error} />
			<p>
				<a href={props.back.href}>{props.back.label}</a>
			</p>
		</>
	);
}

export function Notice(props: { children: ComponentChildren }) {
	return (
		<p class="notice" role="status">
			{props.children}
		</p>
	);
}

interface FieldProps {
	id: string;
	label: string;
	value: string;
	onInput: (value: string) => void;
	error?: string;
	type?: "text" | "email" | "password" | "search" | "number";
	autoComplete?: string;
	required?: boolean;
	hint?: string;
	min?: number;
	max?: number;
}

export function Field(props: FieldProps) {
	const described = [props.hint ? `${props.id}-hint` : "", props.error ? `${props.id}-error` : ""].filter(Boolean).join(" ");
	return (
		<div class={props.error ? "field field-invalid" : "field"}>
			<label for={props.id}>
				{props.label}
				{props.required ? <span aria-hidden="true"> *</span> : null}
			</label>
			<input
				id={props.id}
				name={props.id}
				// Preact 11 types an input's attributes by its type; this one field serves several, all taking value and min/max alike.
				type={(props.type ?? "text") as "text"}
				value={props.value}
				onInput={(event) => props.onInput(event.currentTarget.value)}
				autoComplete={props.autoComplete}
				required={props.required}
				min={props.min}
				max={props.max}
				aria-invalid={props.error ? "true" : undefined}
				aria-describedby={described || undefined}
			/>
			{props.hint ? (
				<p class="hint" id={`${props.id}-hint`}>
					{props.hint}
				</p>
			) : null}
			{props.error ? (
				<p class="field-error" id={`${props.id}-error`}>
					{props.error}
				</p>
			) : null}
		</div>
	);
}

/** One radio of a group (a fieldset with its legend): its label, and a hint the radio is described by. */
export function Choice(props: {
	id: string;
	name: string;
	value: string;
	checked: boolean;
	onChoose(): void;
	label: ComponentChildren;
	hint: ComponentChildren;
}) {
	return (
		<div class="choice">
			<input
				type="radio"
				id={props.id}
				name={props.name}
				value={props.value}
				checked={props.checked}
				onChange={props.onChoose}
				aria-describedby={`${props.id}-hint`}
			/>
			<label for={props.id}>{props.label}</label>
			<span class="hint" id={`${props.id}-hint`}>
				{props.hint}
			</span>
		</div>
	);
}

export function Loading(props: { what: string }) {
	return (
		<p class="loading" role="status">
			Loading {props.what}…
		</p>
	);
}
