/*
 * Regular expressions for the document's schemas that mean the same in JavaScript (the
 * validator), ajv and Python (schemathesis): `\s`, `\d`, `\w` and `.` spelled out as explicit
 * classes, `$` made to match only at the very end (Python's `$` also matches before a final
 * newline), and the patterns json-schema.ts gives a trimmed string: white space, then a core of
 * the allowed length and characters, then white space. A construct whose meaning differs and
 * cannot be spelled out is refused with UnsupportedRuleError, while the document is built.
 */

/**
 * A rule (or a pattern in one) the document cannot describe exactly as the validator applies
 * it. Defined here, beside the first thing that throws it, and re-exported by json-schema.ts.
 */
export class UnsupportedRuleError extends Error {
	constructor(where: string, problem: string) {
		super(`${where || "params"}: ${problem}`);
		this.name = "UnsupportedRuleError";
	}
}

/** The characters JavaScript's `\s` and String.prototype.trim() treat as white space. */
const SPACE_RANGES: readonly (readonly [number, number])[] = [
	[0x09, 0x0d],
	[0x20, 0x20],
	[0xa0, 0xa0],
	[0x1680, 0x1680],
	[0x2000, 0x200a],
	[0x2028, 0x2029],
	[0x202f, 0x202f],
	[0x205f, 0x205f],
	[0x3000, 0x3000],
	[0xfeff, 0xfeff],
];
const SPACE_CHARS = "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
export const SPACE = `[${SPACE_CHARS}]`;
export const NON_SPACE = `[^${SPACE_CHARS}]`;
const ANY_CHAR = "[\\s\\S]";
/** `$` without the m flag, in every dialect: no character follows. */
export const END = "(?![\\s\\S])";

/** `atom` repeated `lo` to `hi` times, in the shortest notation. */
export function quantified(atom: string, lo: number, hi: number): string {
	if (hi === Infinity) return lo === 0 ? `${atom}*` : lo === 1 ? `${atom}+` : `${atom}{${lo},}`;
	if (lo === hi) return lo === 1 ? atom : `${atom}{${lo}}`;
	return `${atom}{${lo},${hi}}`;
}

/**
 * The trimmed text: `lo` to `hi` characters of `chars` (any character if undefined) that neither
 * starts nor ends with white space, so the white space around it is exactly what trim removes.
 */
export function trimmedCore(chars: Range[] | undefined, lo: number, hi: number, where: string): string {
	if (hi === 0) return "";
	const middle = chars ? classOf(chars, where) : ANY_CHAR;
	const edgeRanges = chars ? subtract(chars, SPACE_RANGES) : undefined;
	// A class without white space says it all: the white space around it is what trim removes.
	if (chars && classOf(edgeRanges!, where) === middle) return quantified(middle, lo, hi);
	if (edgeRanges?.length === 0) {
		// A class of white space only: trimmed, nothing is left.
		if (lo > 0) throw new UnsupportedRuleError(where, "the rule accepts no value (a class of white space only, trimmed)");
		return "";
	}
	const edge = edgeRanges ? classOf(edgeRanges, where) : NON_SPACE;
	let core: string;
	if (hi === 1) core = edge;
	else if (lo <= 1) core = `${edge}(?:${quantified(middle, 0, hi - 2)}${edge})?`;
	else core = `${edge}${quantified(middle, lo - 2, hi - 2)}${edge}`;
	return lo === 0 ? `(?:${core})?` : core;
}

type Range = readonly [number, number];

/**
 * A trimmed string's pattern must be `^[class]quantifier$` to be turned into one exact pattern
 * (the class says which characters, the quantifier how many); anything else is refused.
 */
export function simpleClassPattern(source: string, where: string): { chars: Range[]; from: number; to: number } {
	const match = /^\^\[((?:\\.|[^\\\]])+)\](\+|\*|\{(\d+)(?:(,)(\d*))?\})\$$/.exec(source);
	if (!match || match[1]!.startsWith("^")) {
		throw new UnsupportedRuleError(where, `with trim, only a pattern of the form ^[chars]{m,n}$ is supported, not ${source}`);
	}
	const [, body, quantifier, from, comma, to] = match;
	const range = quantifier === "+" ? [1, Infinity] : quantifier === "*" ? [0, Infinity] : [Number(from), comma ? (to ? Number(to) : Infinity) : Number(from)];
	return { chars: parseClass(body!, where), from: range[0]!, to: range[1]! };
}

const CLASS_ESCAPES: Record<string, Range[]> = {
	d: [[0x30, 0x39]],
	w: [
		[0x30, 0x39],
		[0x41, 0x5a],
		[0x5f, 0x5f],
		[0x61, 0x7a],
	],
	s: [...SPACE_RANGES],
	t: [[0x09, 0x09]],
	n: [[0x0a, 0x0a]],
	v: [[0x0b, 0x0b]],
	f: [[0x0c, 0x0c]],
	r: [[0x0d, 0x0d]],
};

function parseClass(body: string, where: string): Range[] {
	const atoms: (number | Range[])[] = [];
	for (let i = 0; i < body.length; i++) {
		if (body[i] !== "\\") {
			atoms.push(body.codePointAt(i)!);
			continue;
		}
		const next = body[++i]!;
		if (CLASS_ESCAPES[next]) atoms.push(CLASS_ESCAPES[next]!);
		else if (/[^A-Za-z0-9]/.test(next)) atoms.push(next.codePointAt(0)!);
		else throw new UnsupportedRuleError(where, `escape \\${next} in a character class is not supported`);
	}
	const ranges: Range[] = [];
	for (let i = 0; i < atoms.length; i++) {
		const atom = atoms[i]!;
		const last = atoms[i + 2];
		if (typeof atom === "number" && atoms[i + 1] === 0x2d && typeof last === "number") {
			ranges.push([atom, last]);
			i += 2;
		} else {
			ranges.push(...(typeof atom === "number" ? [[atom, atom] as const] : atom));
		}
	}
	return normalizeRanges(ranges);
}

function normalizeRanges(ranges: Range[]): Range[] {
	const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
	const merged: [number, number][] = [];
	for (const [from, to] of sorted) {
		const last = merged[merged.length - 1];
		if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
		else merged.push([from, to]);
	}
	return merged;
}

function subtract(ranges: Range[], removed: readonly Range[]): Range[] {
	let result: Range[] = ranges;
	for (const [cutFrom, cutTo] of removed) {
		result = result.flatMap(([from, to]): Range[] => {
			if (cutTo < from || cutFrom > to) return [[from, to]];
			const parts: Range[] = [];
			if (from < cutFrom) parts.push([from, cutFrom - 1]);
			if (to > cutTo) parts.push([cutTo + 1, to]);
			return parts;
		});
	}
	return result;
}

function classOf(ranges: Range[], where: string): string {
	const char = (code: number): string => {
		if (code > 0xffff) throw new UnsupportedRuleError(where, "characters outside the Basic Multilingual Plane are not supported in a class");
		if (/[A-Za-z0-9 _.,:;@#%&=~'"!<>`/]/.test(String.fromCharCode(code))) return String.fromCharCode(code);
		if ("\\]^-[".includes(String.fromCharCode(code))) return `\\${String.fromCharCode(code)}`;
		return `\\u${code.toString(16).padStart(4, "0")}`;
	};
	const part = ([from, to]: Range) => (from === to ? char(from) : to === from + 1 ? char(from) + char(to) : `${char(from)}-${char(to)}`);
	return `[${ranges.map(part).join("")}]`;
}

/** Escapes that are not portable as written: JavaScript's meaning spelled out as classes. */
const SHORTHAND_CLASSES: Record<string, string> = {
	d: "0-9",
	w: "A-Za-z0-9_",
	s: SPACE_CHARS,
};
const SYNTAX_CHARS = "^$\\.*+?()[]{}|/";

/**
 * A JavaScript pattern rewritten to match the same strings in ECMA-262 (with or without the u
 * flag, as ajv uses it) and in Python's re (schemathesis). Constructs whose meaning differs and
 * that cannot be spelled out (`\b`, back-references, named groups…) are refused.
 */
export function portablePattern(source: string, where = ""): string {
	let out = "";
	let inClass = false;
	for (let i = 0; i < source.length; i++) {
		const c = source[i]!;
		if (c === "\\") {
			const next = source[++i];
			if (next === undefined) throw new UnsupportedRuleError(where, `pattern ${source} ends in a backslash`);
			const shorthandClass = SHORTHAND_CLASSES[next.toLowerCase()];
			if (shorthandClass !== undefined) {
				const negated = next !== next.toLowerCase();
				if (inClass && negated) throw new UnsupportedRuleError(where, `\\${next} inside a class is not supported`);
				out += inClass ? shorthandClass : `[${negated ? "^" : ""}${shorthandClass}]`;
			} else if ("tnrfv".includes(next)) out += `\\${next}`;
			else if (next === "u" && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 1, i + 5))) {
				out += `\\u${source.slice(i + 1, i + 5)}`;
				i += 4;
			} else if (/[^A-Za-z0-9]/.test(next)) {
				// In u mode only syntax characters (and - in a class) may be escaped; the rest are literal anyway.
				out += SYNTAX_CHARS.includes(next) || (inClass && next === "-") ? `\\${next}` : next;
			} else throw new UnsupportedRuleError(where, `pattern escape \\${next} has no portable meaning`);
			continue;
		}
		if (inClass) {
			if (c === "]") inClass = false;
			out += c;
		} else if (c === "[") {
			inClass = true;
			const negated = source[i + 1] === "^";
			if (source[i + (negated ? 2 : 1)] === "]") throw new UnsupportedRuleError(where, "an empty class [] or [^] is not portable");
			out += negated ? "[^" : "[";
			if (negated) i++;
		} else if (c === ".") out += "[^\\n\\r\\u2028\\u2029]";
		else if (c === "$") out += END;
		else if (c === "(" && source[i + 1] === "?" && !/^\(\?(?::|=|!|<=|<!)/.test(source.slice(i))) {
			throw new UnsupportedRuleError(where, "only (?:…) groups and lookarounds are portable");
		} else if (c === "{" && source[i + 1] === ",") throw new UnsupportedRuleError(where, "{,n} means different things in JavaScript and Python");
		else out += c;
	}
	return out;
}
