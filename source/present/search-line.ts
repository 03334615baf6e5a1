/**
 * What a search says about itself (pure): its progress while it runs and its
 * coverage when it ends — "searched 10,000 of 230,000 failed, 3 matches" —
 * so that "no match" is never read as "no such job" when only part of the
 * state was searched. The CLI prints the coverage on stderr, the console
 * under its table.
 */
import {sanitizeLine} from '../common/sanitize.js';
import type {JobSearch, SearchProgress} from '../common/types.js';
import {formatBytes} from './format.js';

const count = (value: number): string => value.toLocaleString('en-US');
const matchesText = (matched: number): string => (matched === 0 ? 'no match' : `${count(matched)} match${matched === 1 ? '' : 'es'}`);

/** "searched 4,000 of 230,000 failed · 2 matches". */
export function searchProgressLine(progress: SearchProgress, state: string): string {
	return sanitizeLine(`searched ${count(progress.scanned)} of ${count(progress.total)} ${state} · ${matchesText(progress.matched)}`);
}

/**
 * "searched all 600 failed, 1 match", "searched 10,000 of 230,000 failed, 3 matches
 * (the newest; <more>)", "stopped: searched 4,000 of …", plus the matches not carried
 * and the jobs too large to read. `more`: how to search further (the CLI's --max-scan).
 */
export function searchCoverage(search: JobSearch & {state: string; shown: number}, more?: string): string {
	const {scanned, total, state, matched, shown} = search;
	const scope = search.complete && scanned >= total ? `all ${count(scanned)} ${state}` : `${count(scanned)} of ${count(total)} ${state}`;
	const parts = [`${search.stoppedBy === 'signal' ? 'stopped: ' : ''}searched ${scope}, ${matchesText(matched)}`];
	if (matched > shown) parts[0] += ` (the first ${count(shown)} shown)`;
	const which = state === 'completed' || state === 'failed' ? 'newest' : 'first in line';
	if (search.stoppedBy === 'limit') parts.push(`the ${which} ${count(scanned)} only${more ? `; ${more}` : ''}`);
	if (search.unread > 0) parts.push(`${count(search.unread)} job${search.unread === 1 ? '' : 's'} with a reason or data over ${formatBytes(search.unreadAbove)} not searched in it`);
	return sanitizeLine(parts.join('; '));
}
