/**
 * The `:` command line (k9s habits): `:queues`, `:jobs emails failed`,
 * `:job emails 42`, `:find +255712345678` (`:find emails failed TEXT`),
 * `:workers`, `:schedules`, `:services`,
 * `:logs worker@high`, `:events`, `:help`, `:q`. A view's name may be cut to
 * any prefix that is not ambiguous (`:wo`, `:sch`); Tab completes view, queue
 * and state names. `useCommandLine` opens it as a prompt; the rest is pure.
 */
import {useRef} from 'react';
import {JOB_STATES} from '../common/types.js';
import type {ConsoleApi} from '../store/console-api.js';
import type {PromptState} from './components/prompt.js';
import type {Route} from './ui-context.js';

export type CommandOutcome = {kind: 'go'; route: Route} | {kind: 'quit'} | {kind: 'help'} | {kind: 'error'; message: string};

const VIEWS = ['queues', 'jobs', 'job', 'metrics', 'find', 'workers', 'schedules', 'services', 'logs', 'events', 'help', 'quit'] as const;
type Word = (typeof VIEWS)[number];
const ALIASES: Record<string, Word> = {q: 'quit', 'q!': 'quit', ps: 'workers', cron: 'schedules', svc: 'services', ev: 'events', '?': 'help'};

function command(word: string): Word | {error: string} {
	const lower = word.toLowerCase();
	if (ALIASES[lower]) return ALIASES[lower];
	const exact = VIEWS.find(view => view === lower);
	if (exact) return exact;
	const found = VIEWS.filter(view => view.startsWith(lower));
	if (found.length === 1) return found[0]!;
	if (found.length > 1) return {error: `":${word}" could be ${found.join(', ')}`};
	return {error: `unknown command ":${word}": try ${VIEWS.filter(view => view !== 'help').join(', ')}`};
}

function queueOf(name: string | undefined, queues: readonly string[]): string | {error: string} | undefined {
	if (name === undefined) return undefined;
	if (queues.includes(name)) return name;
	const shown = queues.slice(0, 8).join(', ');
	return {error: `no queue "${name}"${queues.length > 0 ? `: known are ${shown}${queues.length > 8 ? ', …' : ''}` : ''}`};
}

const FIND_USAGE = 'usage: :find [queue [state]] TEXT, e.g. :find +255712345678 (the first queue\'s failed jobs)';

/**
 * `:find [queue [state]] TEXT`: a known queue's name, then a state, are taken as such when
 * more text follows them; the rest, spaces kept, is the text. Default: the first queue, failed.
 */
function parseFind(args: string, queues: readonly string[], current: string | undefined): CommandOutcome {
	let rest = args.trim();
	let queue: string | undefined = current;
	let state = 'failed';
	const head = () => /^(\S+)\s+(\S.*)$/s.exec(rest);
	const first = head();
	if (first && queues.includes(first[1]!)) {
		queue = first[1]!;
		rest = first[2]!;
		const second = head();
		if (second && (JOB_STATES as readonly string[]).includes(second[1]!)) {
			state = second[1]!;
			rest = second[2]!;
		}
	}
	if (rest === '') return {kind: 'error', message: FIND_USAGE};
	return {kind: 'go', route: {view: 'search', ...(queue ? {queue} : {}), state, text: rest}};
}

/** `current`: the queue of the view the command line was opened on (`:find` searches it unless told another). */
export function parseCommand(text: string, queues: readonly string[], current?: string): CommandOutcome {
	const [first, ...rest] = text.trim().replace(/^:/, '').split(/\s+/).filter(Boolean);
	if (first === undefined) return {kind: 'error', message: 'type a view (queues, jobs, workers…) or q'};
	const word = command(first);
	if (typeof word !== 'string') return {kind: 'error', message: word.error};
	const queue = queueOf(rest[0], queues);
	if (typeof queue === 'object' && (word === 'jobs' || word === 'job' || word === 'metrics')) return {kind: 'error', message: queue.error};
	switch (word) {
		case 'quit':
			return {kind: 'quit'};
		case 'help':
			return {kind: 'help'};
		case 'jobs': {
			const state = rest[1];
			if (state !== undefined && !(JOB_STATES as readonly string[]).includes(state)) return {kind: 'error', message: `no state "${state}": one of ${JOB_STATES.join(', ')}`};
			return {kind: 'go', route: {view: 'jobs', ...(typeof queue === 'string' ? {queue} : {}), ...(state ? {state} : {})}};
		}
		case 'job':
			if (typeof queue !== 'string' || rest[1] === undefined) return {kind: 'error', message: 'usage: :job <queue> <id>'};
			return {kind: 'go', route: {view: 'job', queue, id: rest[1]}};
		case 'find':
			return parseFind(text.trim().replace(/^:/, '').trim().replace(/^\S+/, ''), queues, current);
		case 'logs':
			return {kind: 'go', route: {view: 'logs', ...(rest[0] ? {service: rest[0]} : {})}};
		case 'metrics': {
			const name = typeof queue === 'string' ? queue : current ?? queues[0];
			return name === undefined ? {kind: 'error', message: 'usage: :metrics <queue>'} : {kind: 'go', route: {view: 'metrics', queue: name}};
		}
		default:
			return {kind: 'go', route: {view: word}};
	}
}

/** What the word being typed could become: view names first, then queue names (after jobs/job), then states. */
export function candidates(text: string, queues: readonly string[]): string[] {
	const words = text.replace(/^:/, '').split(' ');
	const typing = words.at(-1) ?? '';
	const pick = (options: readonly string[]) => options.filter(option => option.startsWith(typing));
	if (words.length === 1) return pick(VIEWS);
	const word = command(words[0]!);
	if (word === 'jobs' || word === 'job' || word === 'metrics' || word === 'find') {
		if (words.length === 2) return pick(queues);
		if (words.length === 3 && (word === 'jobs' || (word === 'find' && queues.includes(words[1]!)))) return pick(JOB_STATES);
	}
	if (word === 'logs' && words.length === 2) return pick(['all', ...queues.map(queue => `worker@${queue}`), 'scheduler']);
	return [];
}

/** Tab: the word being typed completed as far as its candidates agree (and a space after a unique one). */
export function complete(text: string, queues: readonly string[]): string {
	const found = candidates(text, queues);
	if (found.length === 0) return text;
	const cut = text.lastIndexOf(' ') + 1;
	if (found.length === 1) return `${text.slice(0, cut)}${found[0]!} `;
	let common = found[0]!;
	for (const option of found) while (!option.startsWith(common)) common = common.slice(0, -1);
	return text.slice(0, cut) + common;
}

/** `:`: opens the command line (the known queues read afresh for completion); `run` gets what was asked. */
export function useCommandLine(api: ConsoleApi, setPrompt: (next: PromptState) => void, run: (outcome: CommandOutcome) => void, current: () => string | undefined): () => void {
	const queueNames = useRef<string[]>([]);
	return () => {
		void api.queueNames().then(names => {
			queueNames.current = names;
		}, () => undefined);
		setPrompt({
			title: ':',
			value: '',
			complete: value => complete(value, queueNames.current),
			hint: value => candidates(value, queueNames.current).slice(0, 12).join(' '),
			onSubmit: text => run(parseCommand(text, queueNames.current, current())),
		});
	};
}
