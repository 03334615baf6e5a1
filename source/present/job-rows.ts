/**
 * Jobs → what the console draws (pure): the jobs table (its columns depend on
 * the state: a failed job's reason, a delayed job's run time), the state tabs,
 * page info, one job's header and detail lines, and the one-line outcome of
 * an action. Every text a job carries goes through the sanitizer here; the
 * views sanitize again at the last step, which costs one regex test.
 */
import {sanitizeLine, sanitizeText} from '../common/sanitize.js';
import {JOB_STATES, type JobDetail, type JobState, type JobSummary, type QueueCounts} from '../common/types.js';
import {formatDuration} from '../util/duration.js';
import {prettyJsonLines} from '../util/json-text.js';
import {dataCell, formatBytes, formatRelative, formatTime, utf8Bytes} from './format.js';

export const formatCount = (value: number): string => value.toLocaleString('en-US');
const plural = (count: number, word: string): string => `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;

/** The first line of a failed reason, with a mark when there is more (the detail shows it all). */
const firstLine = (text: string | null, cut = false): string => {
	if (!text) return '-';
	const [first = '', ...rest] = text.split(/\r?\n/);
	return cut || rest.some(line => line.trim()) ? `${first} …` : first;
};

const ago = (ms: number | null, now: number): string => formatRelative(ms, now);

type Column = {title: string; numeric?: boolean; cell(job: JobSummary, now: number): string};

const id: Column = {title: 'ID', cell: job => job.id};
const name: Column = {title: 'NAME', cell: job => job.name || '-'};
const attempts: Column = {title: 'ATTEMPTS', numeric: true, cell: job => String(job.attemptsMade)};
const added: Column = {title: 'ADDED', cell: (job, now) => ago(job.timestamp, now)};
const data: Column = {title: 'DATA', cell: job => dataCell(job).slice(0, 300)};

/** What an operator wants to see first, by state. */
const COLUMNS: Record<JobState, Column[]> = {
	waiting: [id, name, attempts, added, data],
	active: [id, name, attempts, {title: 'STARTED', cell: (job, now) => ago(job.processedOn, now)}, added, data],
	delayed: [id, name, attempts, {title: 'RUNS', cell: (job, now) => (job.timestamp === null ? '-' : ago(job.timestamp + job.delay, now))}, added, data],
	prioritized: [id, name, {title: 'PRIORITY', numeric: true, cell: job => String(job.priority)}, attempts, added, data],
	'waiting-children': [id, name, attempts, added, data],
	completed: [id, name, attempts, {title: 'FINISHED', cell: (job, now) => ago(job.finishedOn, now)}, {title: 'TOOK', cell: job => (job.finishedOn && job.processedOn ? formatDuration(job.finishedOn - job.processedOn) : '-')}, data],
	failed: [id, name, attempts, {title: 'FAILED', cell: (job, now) => ago(job.finishedOn, now)}, {title: 'REASON', cell: job => firstLine(job.failedReason, job.failedReasonTruncated)}],
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
/** The page's `/` filter: id, name, error, or the data as far as the page read it (a phone number, an account). */
export function matchesJob(job: JobSummary, text: string): boolean {
	const needle = text.toLowerCase();
	return [job.id, job.name, job.failedReason ?? '', dataCell(job)].some(value => value.toLowerCase().includes(needle));
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

/** A block of untrusted text, indented, at most `max` lines (`more` says where the rest is). */
function block(text: string, max: number, tone?: DetailLine['tone'], more = '(saccos-queue job <queue> <id> --json)'): DetailLine[] {
	return indented(sanitizeText(text, {multiline: true}).split('\n'), max, tone, more);
}

function indented(lines: readonly string[], max: number, tone?: DetailLine['tone'], more = ''): DetailLine[] {
	const shown: DetailLine[] = lines.slice(0, max).map(line => ({text: `  ${line}`, ...(tone ? {tone} : {})}));
	if (lines.length > max) shown.push({text: `  … ${formatCount(lines.length - max)} more lines ${more}`.trimEnd(), tone: 'dim'});
	return shown;
}

const heading = (text: string, tone: DetailLine['tone'] = 'heading'): DetailLine => ({text: sanitizeLine(text), tone});

/** How the detail names what `e` opens the whole job in. */
export type DetailOptions = {pager?: string};

/** "— 12.4 MB, showing the first 64 KB; e opens it all in less". */
const cutNote = (bytes: number, shown: string, options: DetailOptions, it = 'it'): string =>
	` — ${formatBytes(bytes)}, ${shown ? `showing the first ${formatBytes(utf8Bytes(shown))}` : 'too large to show here'}; e opens ${it} all in ${options.pager ?? 'the pager'}`;

/**
 * JSON text cut short, laid out as JSON.stringify would lay out the whole,
 * at most `max` lines: a 20 MB job's first 64 KB without parsing (it cannot
 * be parsed) and without laying out more than is shown.
 */
function cutJsonBlock(text: string, max: number): DetailLine[] {
	const {lines} = prettyJsonLines(text, max + 1);
	return [...indented(lines.map(line => sanitizeLine(line)), max, undefined, '(e shows them)'), {text: '  … (cut here)', tone: 'dim'}];
}

/**
 * The body of a job's detail, in the order one reads a failure: the reason,
 * the newest stack trace, the data, the job's logs, its return value, its
 * options. A field larger than was read says so: its size, how much is
 * shown, and that `e` opens it whole.
 */
export function jobDetailLines(job: JobDetail, options: DetailOptions = {}): DetailLine[] {
	const lines: DetailLine[] = [];
	const extras = [job.delay > 0 ? `delay ${formatDuration(job.delay)}` : '', job.priority > 0 ? `priority ${job.priority}` : '', job.parent ? `parent ${job.parent}` : '', job.progress !== null && job.progress !== 0 ? `progress ${pretty(job.progress)}` : ''].filter(Boolean);
	if (extras.length > 0) lines.push({text: sanitizeLine(extras.join(' · ')), tone: 'dim'});
	if (job.failedReason) {
		lines.push(heading(`Failed reason${job.failedReasonTruncated ? cutNote(job.failedReasonBytes ?? 0, job.failedReason, options) : ''}`, 'error'), ...block(job.failedReason, 20, 'error'));
	}
	if (job.stacktraceTruncated) {
		// Only the start was read: the oldest traces (BullMQ appends the newest), in that order.
		lines.push(heading(`Stack traces${cutNote(job.stacktraceBytes ?? 0, job.stacktrace.join(''), options, 'them')} (oldest first)`));
		job.stacktrace.forEach((trace, index) => {
			if (index > 0) lines.push({text: '  ── a later attempt ──', tone: 'dim'});
			lines.push(...block(trace, 60));
		});
	} else if (job.stacktrace.length > 0) {
		lines.push(heading(`Stack trace${job.stacktrace.length > 1 ? `s (${job.stacktrace.length}, newest first)` : ''}`));
		[...job.stacktrace].reverse().forEach((trace, index) => {
			if (index > 0) lines.push({text: '  ── an earlier attempt ──', tone: 'dim'});
			lines.push(...block(trace, 60));
		});
	}
	if (job.dataTruncated) lines.push(heading(`Data${cutNote(job.dataBytes ?? 0, job.dataPreview ?? '', options)}`), ...(job.dataPreview ? cutJsonBlock(job.dataPreview, 500) : []));
	else if (job.dataError) lines.push(heading(`Data: ${job.dataError}`, 'error'));
	else lines.push(heading('Data'), ...block(pretty(job.data), 500, undefined, '(e shows them)'));
	const {total, lines: logLines} = job.logs;
	lines.push(heading(`Logs (${plural(total, 'line')}${total > logLines.length ? `, the newest ${formatCount(logLines.length)} shown` : ''})`));
	if (logLines.length > 0) lines.push(...block(logLines.join('\n'), 500));
	if (job.returnvalueTruncated) lines.push(heading(`Return value${cutNote(job.returnvalueBytes ?? 0, job.returnvaluePreview ?? '', options)}`), ...(job.returnvaluePreview ? cutJsonBlock(job.returnvaluePreview, 200) : []));
	else if (job.returnvalue !== null && job.returnvalue !== undefined) lines.push(heading('Return value'), ...block(pretty(job.returnvalue), 200));
	if (job.optsError) lines.push(heading(`Options: ${job.optsError}`, 'error'));
	else lines.push(heading('Options'), ...block(pretty(job.opts), 100));
	return lines;
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Lines cut to a width, of which only the rows asked for are made. */
export type WrappedLines = {
	/** How many rows the lines take. */
	rows: number;
	/** Rows `from` to `to` (exclusive). */
	slice(from: number, to: number): DetailLine[];
};

type Wrapped = {line: DetailLine; chars: string | string[]; hang: string; starts: number[]; rows: number};

/**
 * Cuts lines longer than `width` into rows, so a scrolled body keeps one
 * line per row; a line that would take more than `maxRows` rows shows that
 * many and then says how much of it is left (a 64 KB reason on one line is
 * 400 rows of a wide terminal, between the operator and the stack trace).
 * Only where each row starts is worked out up front (a look back of at most
 * half a row for a space, per row): the rows' text is made for the rows on
 * screen only. The first version copied the rest of the line for every row:
 * quadratic, minutes for a megabyte. A line without astral characters
 * (almost all) is cut as a string, without an array of its characters.
 */
export function wrapLines(lines: readonly DetailLine[], width: number, maxRows = Number.POSITIVE_INFINITY): WrappedLines {
	const room = Math.max(10, width);
	const wrapped: Wrapped[] = [];
	/** The first row of each wrapped line, for finding a row's line by bisection. */
	const firstRows: number[] = [];
	let total = 0;
	for (const line of lines) {
		firstRows.push(total);
		// UTF-16 units are at least as many as characters: a short line needs no count.
		const chars: string | string[] = line.text.length <= room || !SURROGATE.test(line.text) ? line.text : Array.from(line.text);
		// Continuations hang two columns under the line's own indent, so a wrapped reason or
		// stack frame still reads as one; a cut falls after a space when one is in the second half.
		const hang = chars.length <= room ? '' : `${/^\s*/.exec(line.text)![0]}  `.slice(0, Math.floor(room / 2));
		const starts = [0];
		for (let start = 0, first = true; starts.length <= maxRows && chars.length - start > (first ? room : room - hang.length); first = false) {
			const space = first ? room : room - hang.length;
			let cut = space;
			let at = start + space - 1;
			while (at >= start + space / 2 && chars[at] !== ' ') at--;
			if (at >= start + space / 2) cut = at - start + 1;
			start += cut;
			starts.push(start);
		}
		// More rows than allowed: the last start is where the rest begins, told on a row of its own.
		const rows = starts.length;
		wrapped.push({line, chars, hang, starts, rows});
		total += rows;
	}
	const rowAt = (row: number): DetailLine => {
		let low = 0;
		let high = firstRows.length - 1;
		while (low < high) {
			const middle = Math.ceil((low + high) / 2);
			if (firstRows[middle]! <= row) low = middle;
			else high = middle - 1;
		}
		const {line, chars, hang, starts} = wrapped[low]!;
		if (starts.length === 1) return line;
		const index = row - firstRows[low]!;
		const from = starts[index]!;
		if (index >= maxRows) return {text: `${hang}… ${formatCount(chars.length - from)} more characters on this line`, tone: 'dim'};
		const to = starts[index + 1] ?? chars.length;
		const text = typeof chars === 'string' ? chars.slice(from, to) : chars.slice(from, to).join('');
		return {...line, text: `${index === 0 ? '' : hang}${text}`.trimEnd()};
	};
	return {
		rows: total,
		slice: (from, to) => {
			const shown: DetailLine[] = [];
			for (let row = Math.max(0, from); row < Math.min(total, to); row++) shown.push(rowAt(row));
			return shown;
		},
	};
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
