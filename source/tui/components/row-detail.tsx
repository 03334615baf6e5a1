/**
 * A row's whole content, one field a line, where the table cannot show it (a
 * long CURRENT list of jobs, a cut reason): Enter opens it, Esc or q close it.
 *
 *   app1-4242 — Esc closes
 *     QUEUES    high,default,emails,notifications
 *     CURRENT   high/812 default/77 …
 */
import {Box, Text} from 'ink';
import {useState} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';

export type RowDetailState = {title: string; pairs: ReadonlyArray<readonly [string, string]>};

export function useRowDetail(): {detail: RowDetailState | undefined; open(detail: RowDetailState): void; close(): boolean} {
	const [detail, setDetail] = useState<RowDetailState | undefined>(undefined);
	return {
		detail,
		open: setDetail,
		close() {
			if (!detail) return false;
			setDetail(undefined);
			return true;
		},
	};
}

/**
 * The keys of a table whose rows open whole: Enter opens the selected row, and while it is open
 * Esc and q close it (before they clear the table's filter or go back).
 */
export function rowDetailKeys(detail: ReturnType<typeof useRowDetail>, table: {shown: ReadonlyArray<{id: string; cells: readonly string[]}>; head: readonly string[]; keys: {cancel(): boolean | void}}, selected: number) {
	return {
		cancel: () => detail.close() || table.keys.cancel(),
		back: () => detail.close() || false,
		inspect: () => {
			const row = table.shown[selected];
			if (!row) return false;
			detail.open({title: row.id, pairs: rowPairs(table.head, row.cells)});
		},
	};
}

/** The pairs of a table row: each column's title and its cell. */
export const rowPairs = (head: readonly string[], cells: readonly string[]): Array<readonly [string, string]> => head.map((title, column) => [title.replace(/[↑↓]$/, ''), cells[column] ?? ''] as const);

export function RowDetail({detail, width, height}: {detail: RowDetailState; width: number; height: number}) {
	const keyWidth = Math.max(...detail.pairs.map(([key]) => key.length));
	const room = Math.max(10, width - keyWidth - 4);
	const lines: string[] = [];
	for (const [key, value] of detail.pairs) {
		const text = sanitizeLine(value) || '-';
		for (let at = 0; at < Math.max(1, text.length); at += room) lines.push(`  ${(at === 0 ? key : '').padEnd(keyWidth)}  ${text.slice(at, at + room)}`);
	}
	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">{`${sanitizeLine(detail.title)} — Esc closes`}</Text>
			{lines.slice(0, Math.max(1, height - 1)).map((line, index) => (
				<Text key={index} wrap="truncate-end">
					{line}
				</Text>
			))}
		</Box>
	);
}
