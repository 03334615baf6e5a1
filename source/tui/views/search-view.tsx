/**
 * `:find TEXT`: the jobs of a whole state of a queue holding a text, searched
 * in Redis a bounded page at a time (data/search.ts), not just the page on
 * screen (`/` does that):
 *
 *   find "+2557" in emails failed
 *   searched 4,000 of 230,000 failed · 2 matches · Esc stops
 *     ID    NAME        ATTEMPTS  FAILED      REASON
 *   ▸ 1234  sms.send           3  2m 10s ago  gateway timeout
 *
 * It ends with what was searched ("searched 10,000 of 230,000 failed, 2
 * matches; the newest 10,000 only"), so that no match is never taken for no
 * such job. Esc stops a search under way (between two pages), then goes back;
 * Enter opens a match; ^R searches again. Back from a match, the same
 * outcome is shown, not searched again (it is kept with its route).
 */
import {Box, Text} from 'ink';
import {useEffect, useRef, useState} from 'react';
import {sanitizeLine} from '../../common/sanitize.js';
import type {JobState, SearchProgress, SearchResult} from '../../common/types.js';
import {jobTable} from '../../present/job-rows.js';
import {searchCoverage, searchProgressLine} from '../../present/search-line.js';
import {List} from '../components/list.js';
import {useUi, useViewKeys, type Route} from '../ui-context.js';
import {moveKeys, useSelection} from '../use-selection.js';

type SearchRoute = Extract<Route, {view: 'search'}>;
type Outcome = {queue?: string; progress?: SearchProgress; result?: SearchResult; error?: string};

/** Each search's outcome by its route (the same object when the stack comes back to it). */
const outcomes = new WeakMap<SearchRoute, Outcome>();

/** Progress is drawn at most this often (a page takes a few ms). */
const PROGRESS_EVERY_MS = 100;

/** Runs the route's search (again on ^R: `round`), keeping its outcome with the route; the abort stops it. */
function useSearch(route: SearchRoute): {outcome: Outcome; running: boolean; stop(): void; again(): void} {
	const {api} = useUi();
	const [round, setRound] = useState(0);
	const [outcome, setOutcome] = useState<Outcome>(() => outcomes.get(route) ?? {});
	const [running, setRunning] = useState(false);
	const controller = useRef<AbortController | undefined>(undefined);
	useEffect(() => {
		const kept = outcomes.get(route);
		if (round === 0 && (kept?.result || kept?.error)) return;
		const abort = new AbortController();
		controller.current = abort;
		let shownAt = 0;
		const show = (next: Outcome) => {
			outcomes.set(route, next);
			if (!abort.signal.aborted || next.result || next.error) setOutcome(next);
		};
		setRunning(true);
		void (async () => {
			const queue = route.queue ?? (await api.queueNames())[0];
			if (queue === undefined) return show({error: 'no queues yet'});
			show({queue});
			const result = await api.searchJobs(queue, route.state, route.text, progress => {
				if (Date.now() - shownAt < PROGRESS_EVERY_MS) return;
				shownAt = Date.now();
				show({queue, progress});
			}, abort.signal);
			show({queue, result});
		})().catch((error: unknown) => show({...outcomes.get(route), error: error instanceof Error ? error.message : String(error)})).finally(() => {
			if (controller.current === abort) setRunning(false);
		});
		// Leaving the view (opening a match) stops the search between two pages.
		return () => abort.abort();
	}, [api, route, round]);
	return {
		outcome,
		running,
		stop: () => controller.current?.abort(),
		again: () => {
			outcomes.delete(route);
			setOutcome({});
			setRound(current => current + 1);
		},
	};
}

/** The line under the title: progress with "Esc stops", the coverage, or the error. */
function statusLine({result, progress, error}: Outcome, state: string, running: boolean): {text: string; tone?: 'error'} {
	if (error) return {text: `search failed: ${error}`, tone: 'error'};
	if (result) return {text: searchCoverage({...result, shown: result.matches.length})};
	if (progress) return {text: `${searchProgressLine(progress, state)}${running ? ' · Esc stops' : ''}`};
	return {text: running ? 'searching… · Esc stops' : ' '};
}

export function SearchView({route}: {route: SearchRoute}) {
	const ui = useUi();
	const {outcome, running, stop, again} = useSearch(route);
	const matches = outcome.result?.matches ?? [];
	const listHeight = Math.max(2, ui.height - 2);
	const selection = useSelection(matches.map(job => job.id), listHeight - 1, `search:${route.text}:${outcome.queue ?? ''}:${route.state}`);
	const selected = matches[selection.index];
	useViewKeys<'search'>({
		...moveKeys(selection),
		inspect: () => (selected ? ui.navigate({view: 'job', queue: selected.queue, id: selected.id}) : false),
		cancel: () => {
			if (!running) return false;
			stop();
		},
		refresh: again,
	});
	const state = (outcome.result?.state ?? route.state) as JobState;
	const table = jobTable(state, matches);
	const status = statusLine(outcome, state, running);
	const where = outcome.queue ? `in ${outcome.queue} ${route.state}` : route.state;
	return (
		<Box flexDirection="column">
			<Text wrap="truncate-end" bold>{sanitizeLine(`find "${route.text}" ${where}`)}</Text>
			<Text wrap="truncate-end" {...(status.tone === 'error' ? {color: 'red'} : {dimColor: !running})}>{sanitizeLine(status.text)}</Text>
			<List head={table.head} rows={table.rows} selected={selection.index} height={listHeight} width={ui.width} numeric={table.numeric} empty={outcome.result ? 'no match' : running ? 'searching…' : ' '} />
		</Box>
	);
}
