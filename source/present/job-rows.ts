/**
 * Jobs → what the console draws (pure): the jobs table (its columns depend on
 * the state: a failed job's reason, a delayed job's run time), the state tabs,
 * page info, one job's header and detail lines, and the one-line outcome of
 * an action. Every text a job carries goes through the sanitizer here; the
 * views sanitize again at the last step, which costs one regex test.
 */
import {sanitizeLine, sanitizeText} from '../data/sanitize.js';
import {JOB_STATES, type JobDetail, type JobState, type JobSummary, type QueueCounts} from '../data/types.js';
import {formatDuration} from '../util/duration.js';
import {formatRelative, formatTime, previewData} from './format.js';

export const formatCount = (value: number): string => value.toLocaleString('en-US');
const plural = (count: number, word: string): string => `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;

/** The first line of a failed reason, with a mark when there is more (the detail shows it all). */
const firstLine = (text: string | null): string => {
	if (!text) return '-';
	const [first = '', ...rest] = text.split(/\r?\n/);
	return rest.some(line => line.trim()) ? `${first} …` : first;
};

const ago = (ms: number | null, now: number): string => formatRelative(ms, now);

type Column = {title: string; numeric?: boolean; cell(job: JobSummary, now: number): string};

const id: Column = {title: 'ID', cell: job => job.id};
const name: Column = {title: 'NAME', cell: job => job.name || '-'};
const attempts: Column = {title: 'ATTEMPTS', numeric: true, cell: job => String(job.attemptsMade)};
const added: Column = {title: 'ADDED', cell: (job, now) => ago(job.timestamp, now)};
const data: Column = {title: 'DATA', cell: job => previewData(job.data, job.dataError).slice(0, 300)};

/** What an operator wants to see first, by state. */
const COLUMNS: Record<JobState, Column[]> = {
	waiting: [id, name, attempts, added, data],
	active: [id, name, attempts, {title: 'STARTED', cell: (job, now) => ago(job.processedOn, now)}, added, data],
	delayed: [id, name, attempts, {title: 'RUNS', cell: (job, now) => (job.timestamp === null ? '-' : ago(job.timestamp + job.delay, now))}, added, data],
	prioritized: [id, name, {title: 'PRIORITY', numeric: true, cell: job => String(job.priority)}, attempts, added, data],
	'waiting-children': [id, name, attempts, added, data],
	completed: [id, name, attempts, {title: 'FINISHED', cell: (job, now) => ago(job.finishedOn, now)}, {title: 'TOOK', cell: job => (job.finishedOn && job.processedOn ? formatDuration(job.finishedOn - job.processedOn) : '-')}, data],
	failed: [id, name, attempts, {title: 'FAILED', cell: (job, now) => ago(job.finishedOn, now)}, {title: 'REASON', cell: job => firstLine(job.failedReason)}],
};

/** The jobs table of one state: head, right-aligned columns, and a row per job. */
export function jobTable(state: JobState, jobs: readonly JobSummary[], now = Date.now()): {head: string[]; numeric: Set<number>; rows: string[][]} {
	const columns = COLUMNS[state];
	return {
		head: columns.map(column => column.title),
		numeric: new Set(columns.flatMap((column, index) => (column.numeric ? [index] : []))),
		rows: jobs.map(job => columns.map(column => column.cell(job, now))),
	};
}

/** The `/` filter: id, name or failed reason contains the text (any case). */
export function matchesJob(job: JobSummary, text: string): boolean {
	const needle = text.toLowerCase();
	return [job.id, job.name, job.failedReason ?? ''].some(value => value.toLowerCase().includes(needle));
}

const SHORT: Record<JobState, string> = {waiting: 'wait', active: 'active', delayed: 'delayed', prioritized: 'prio', 'waiting-children': 'w-child', completed: 'compl', failed: 'failed'};

/**
 * The state tabs, "1 waiting 12" each (the key, BullMQ's name, the count),
 * in the first form that fits `width`: full names, then abbreviated ones, then
 * key and count alone (the selected state keeps its full name).
 */
export function stateTabs(counts: QueueCounts | undefined, selected: JobState | undefined, width: number): Array<{state: JobState; text: string}> {
	const of = (state: JobState) => (counts ? ` ${formatCount(counts[state])}` : '');
	const forms = [
		(state: JobState, index: number) => ` ${index + 1} ${state}${of(state)} `,
		(state: JobState, index: number) => ` ${index + 1} ${SHORT[state]}${of(state)}`,
		(state: JobState, index: number) => (state === selected ? ` ${index + 1} ${state}${of(state)} ` : ` ${index + 1}:${of(state).trim() || '?'}`),
	];
	const tabs = forms.map(form => JOB_STATES.map((state, index) => ({state, text: form(state, index)})));
	return tabs.find(form => form.reduce((sum, tab) => sum + tab.text.length, 0) <= width) ?? tabs.at(-1)!;
}

/** "1–23 of 1,234 failed", or "no failed jobs". */
export function pageInfo(state: JobState, offset: number, shown: number, total: number): string {
	if (total === 0) return `no ${state} jobs`;
	if (shown === 0) return `nothing at ${formatCount(offset + 1)} of ${formatCount(total)} ${state}`;
	return `${formatCount(offset + 1)}–${formatCount(offset + shown)} of ${formatCount(total)} ${state}`;
}

/** The two header lines of a job: who and what, then when. */
export function jobHeader(job: JobDetail, timeZone: string, now = Date.now()): [string, string] {
	const who = `${job.queue} / ${job.id}  ${job.name || '(no name)'}  ${job.state}  attempts ${job.attemptsMade} made, ${job.attemptsStarted} started${job.processedBy ? `  by ${job.processedBy}` : ''}`;
	const day = formatTime(job.timestamp, timeZone).slice(0, 10);
	const at = (ms: number | null) => {
		const full = formatTime(ms, timeZone);
		return full.startsWith(day) && full !== '-' ? full.slice(11) : full;
	};
	const when = [`added ${formatTime(job.timestamp, timeZone)} (${formatRelative(job.timestamp, now)})`];
	if (job.processedOn) when.push(`processed ${at(job.processedOn)}`);
	if (job.finishedOn) when.push(`finished ${at(job.finishedOn)}${job.processedOn ? ` (took ${formatDuration(job.finishedOn - job.processedOn)})` : ''}`);
	if (job.state === 'delayed' && job.timestamp) when.push(`runs ${at(job.timestamp + job.delay)} (${formatRelative(job.timestamp + job.delay, now)})`);
	return [sanitizeLine(who), sanitizeLine(`${when.join(' · ')}  ${timeZone}`)];
}

export type DetailLine = {text: string; tone?: 'heading' | 'error' | 'dim'};

const pretty = (value: unknown): string => {
	try {
		return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item), 2) ?? 'undefined';
	} catch {
		return '<unserializable>';
	}
};

/** A block of untrusted text, indented, at most `max` lines. */
function block(text: string, max: number, tone?: DetailLine['tone']): DetailLine[] {
	const lines = sanitizeText(text, {multiline: true}).split('\n');
	const shown: DetailLine[] = lines.slice(0, max).map(line => ({text: `  ${line}`, ...(tone ? {tone} : {})}));
	if (lines.length > max) shown.push({text: `  … ${formatCount(lines.length - max)} more lines (saccos-queue job <queue> <id> --json)`, tone: 'dim'});
	return shown;
}

const heading = (text: string, tone: DetailLine['tone'] = 'heading'): DetailLine => ({text: sanitizeLine(text), tone});

/**
 * The body of a job's detail, in the order one reads a failure: the reason,
 * the newest stack trace, the data, the job's logs, its return value, its
 * options.
 */
export function jobDetailLines(job: JobDetail): DetailLine[] {
	const lines: DetailLine[] = [];
	const extras = [job.delay > 0 ? `delay ${formatDuration(job.delay)}` : '', job.priority > 0 ? `priority ${job.priority}` : '', job.parent ? `parent ${job.parent}` : '', job.progress !== null && job.progress !== 0 ? `progress ${pretty(job.progress)}` : ''].filter(Boolean);
	if (extras.length > 0) lines.push({text: sanitizeLine(extras.join(' · ')), tone: 'dim'});
	if (job.failedReason) lines.push(heading('Failed reason', 'error'), ...block(job.failedReason, 20, 'error'));
	if (job.stacktrace.length > 0) {
		lines.push(heading(`Stack trace${job.stacktrace.length > 1 ? `s (${job.stacktrace.length}, newest first)` : ''}`));
		[...job.stacktrace].reverse().forEach((trace, index) => {
			if (index > 0) lines.push({text: '  ── an earlier attempt ──', tone: 'dim'});
			lines.push(...block(trace, 60));
		});
	}
	if (job.dataError) lines.push(heading(`Data: ${job.dataError}`, 'error'));
	else lines.push(heading('Data'), ...block(pretty(job.data), 500));
	const {total, lines: logLines} = job.logs;
	lines.push(heading(`Logs (${plural(total, 'line')}${total > logLines.length ? `, the newest ${formatCount(logLines.length)} shown` : ''})`));
	if (logLines.length > 0) lines.push(...block(logLines.join('\n'), 500));
	if (job.returnvalue !== null && job.returnvalue !== undefined) lines.push(heading('Return value'), ...block(pretty(job.returnvalue), 200));
	if (job.optsError) lines.push(heading(`Options: ${job.optsError}`, 'error'));
	else lines.push(heading('Options'), ...block(pretty(job.opts), 100));
	return lines;
}

/** Cuts lines longer than `width` into several, so a scrolled body keeps one line per row. */
export function wrapLines(lines: readonly DetailLine[], width: number): DetailLine[] {
	const room = Math.max(10, width);
	return lines.flatMap(line => {
		let chars = [...line.text];
		if (chars.length <= room) return [line];
		// Continuations hang two columns under the line's own indent, so a wrapped reason or
		// stack frame still reads as one; a cut falls after a space when one is in the second half.
		const hang = [...`${/^\s*/.exec(line.text)![0]}  `].slice(0, Math.floor(room / 2));
		const pieces: DetailLine[] = [];
		for (let first = true; chars.length > 0; first = false) {
			const prefix = first ? [] : hang;
			const space = room - prefix.length;
			let cut = Math.min(space, chars.length);
			if (chars.length > space) {
				const lastSpace = chars.lastIndexOf(' ', space - 1);
				if (lastSpace >= space / 2) cut = lastSpace + 1;
			}
			pieces.push({...line, text: [...prefix, ...chars.slice(0, cut)].join('').trimEnd()});
			chars = chars.slice(cut);
		}
		return pieces;
	});
}

const idList = (ids: readonly string[]): string => `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}`;
/** What retry and delete return (data/actions' ActionResult, structurally: present/ stays off that module). */
type Outcome = {count: number; notFailed?: unknown; notRemoved?: unknown};

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** "retried 2 jobs of emails; 1 was no longer failed (17)". */
export function retryOutcome(result: Outcome, queue: string): string {
	const notFailed = stringsOf(result.notFailed);
	const note = notFailed.length > 0 ? `; ${formatCount(notFailed.length)} ${notFailed.length === 1 ? 'was' : 'were'} no longer failed (${idList(notFailed)})` : '';
	return sanitizeLine(`retried ${plural(result.count, 'job')} of ${queue}${note}`);
}

/** "deleted 1 job of emails; 2 active jobs were not deleted: a worker holds them (17, 18)". */
export function removeOutcome(result: Outcome, queue: string, state: JobState | 'unknown'): string {
	const kept = stringsOf(result.notRemoved);
	const were = kept.length === 1 ? 'was' : 'were';
	const why = state === 'active' ? `${plural(kept.length, 'active job')} ${were} not deleted: a worker holds them` : `${formatCount(kept.length)} ${were} not deleted: gone already, or a worker holds them`;
	return sanitizeLine(`deleted ${plural(result.count, 'job')} of ${queue}${kept.length > 0 ? `; ${why} (${idList(kept)})` : ''}`);
}
