/**
 * One line read whole, in place of the list it was chosen from:
 *
 *   line 12 of 1,204 · Esc or q closes · ↑↓ PgUp PgDn scroll
 *   time        2026-11-28 12:03:05
 *   level       error
 *   …
 *   err.stack   Error: SMTP 421
 *                   at send (/srv/app/mail.js:12:9)
 *
 * `useDetail` holds what is open and where it is scrolled; while open, its
 * keys (movement, Esc, q) come before the list's. The lines come sanitized
 * (present/), and are sanitized again as they are drawn.
 */
import {Box, Text} from 'ink';
import {useMemo, useState, type ReactElement} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';
import {wrapLines, type DetailLine} from '../../present/job-rows.js';
import type {KeyHandler} from '../ui-context.js';

/** A value longer than this many rows shows that many, then how much is left. */
const ROWS_PER_LINE = 200;

type DetailKeys = {readonly [K in 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom' | 'cancel' | 'back']: KeyHandler};

export type Detail<T> = {
	open(item: T): void;
	isOpen: boolean;
	/** The keys of an open detail (each returns false while it is closed). */
	keys: DetailKeys;
	/** What to draw instead of the list, or null. */
	element: ReactElement | null;
};

export function useDetail<T>(describe: (item: T, width: number) => {title: string; lines: DetailLine[]}, width: number, height: number): Detail<T> {
	const [state, setState] = useState<{item: T; top: number} | null>(null);
	const item = state?.item;
	const content = useMemo(() => (item === undefined ? undefined : describe(item, width - 1)), [item, width]); // eslint-disable-line react-hooks/exhaustive-deps
	const wrapped = useMemo(() => (content ? wrapLines(content.lines, width - 1, ROWS_PER_LINE) : undefined), [content, width]);
	const body = Math.max(1, height - 1);
	const lastTop = wrapped ? Math.max(0, wrapped.rows - body) : 0;
	const move = (to: (top: number) => number): KeyHandler => () => {
		if (!state) return false;
		setState(current => current && {...current, top: Math.max(0, Math.min(lastTop, to(current.top)))});
	};
	const close: KeyHandler = () => {
		if (!state) return false;
		setState(null);
	};
	const top = Math.min(state?.top ?? 0, lastTop);
	return {
		open: next => setState({item: next, top: 0}),
		isOpen: state !== null,
		keys: {up: move(at => at - 1), down: move(at => at + 1), 'page-up': move(at => at - body), 'page-down': move(at => at + body), top: move(() => 0), bottom: move(() => lastTop), cancel: close, back: close},
		element: content && wrapped ? <LineDetail title={content.title} rows={wrapped.slice(top, top + body)} scrolls={wrapped.rows > body} /> : null,
	};
}

const TONES: Record<NonNullable<DetailLine['tone']>, {bold?: boolean; color?: string; dimColor?: boolean}> = {
	heading: {bold: true},
	error: {color: 'red'},
	dim: {dimColor: true},
};

function LineDetail({title, rows, scrolls}: {title: string; rows: DetailLine[]; scrolls: boolean}) {
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">{`${sanitizeLine(title)} · Esc or q closes${scrolls ? ' · ↑↓ PgUp PgDn scroll' : ''}`}</Text>
			{rows.map((row, index) => (
				<Text key={index} wrap="truncate-end" {...(row.tone ? TONES[row.tone] : {})}>
					{sanitizeLine(row.text) || ' '}
				</Text>
			))}
		</Box>
	);
}
