/**
 * The console's shell:
 *
 *   saccos-queue  redis://10.0.0.5:6379  READ-ONLY   queues │ jobs │ workers │ schedules │ services │ logs
 *   <the focused view>
 *   ✔ retried 3 jobs of emails                                  ← flash line
 *   Enter jobs  / filter  p pause/resume  …  ? help  q back/quit ← footer (or a prompt)
 *
 * Keys route down a stack (docs/ARCHITECTURE.md, "The key table"): Ctrl-C always quits; an open
 * prompt or the help overlay takes every key; then the focused view gets the
 * action (views see action ids from the keymap, never raw keys); what it
 * leaves, the app handles (help, back, quit, Tab).
 */
import {Box, Text, useApp, useInput, useStdin, useStdout} from 'ink';
import {useCallback, useLayoutEffect, useMemo, useRef, useState} from 'react';
import {sanitizeLine} from '../shared/sanitize.js';
import type {Scope} from '../keymap/commands.js';
import {keyName, resolve, type InkKey} from '../keymap/dispatch.js';
import type {ConsoleApi, Suspend} from '../store/console-api.js';
import {atMost} from '../util/bounded.js';
import {Footer} from './components/footer.js';
import {HelpOverlay} from './components/help-overlay.js';
import {editPrompt, Prompt, type PromptState} from './components/prompt.js';
import {Header} from './components/header.js';
import {HandlerContext, UiContext, type ActionHandler, type Remembered, type Route, type Ui} from './ui-context.js';
import {useTerminalSize} from './use-terminal-size.js';
import {TABS, tabOf, View} from './views/view.js';

/** Keys that move or refresh: the view gets them first, though they are global. */
const FORWARDED = new Set(['up', 'down', 'page-up', 'page-down', 'top', 'bottom', 'refresh', 'cancel', 'back']);

type Flash = {text: string; kind: 'info' | 'error'};

export function App({api, initial = {view: 'queues'}}: {api: ConsoleApi; initial?: Route}) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	const [stack, setStack] = useState<Route[]>([initial]);
	// A ref as well as state: keys typed faster than a render must see each other's edits.
	const [prompt, setPromptState] = useState<PromptState | undefined>(undefined);
	const promptRef = useRef<PromptState | undefined>(undefined);
	const setPrompt = useCallback((next: PromptState | undefined) => {
		promptRef.current = next;
		setPromptState(next);
	}, []);
	const [help, setHelp] = useState(false);
	const [flash, setFlash] = useState<Flash | undefined>(undefined);
	const handler = useRef<ActionHandler | undefined>(undefined);
	const route = stack.at(-1)!;
	const scope: Scope = route.view;

	const show = useCallback((text: string, kind: 'info' | 'error' = 'info') => setFlash({text, kind}), []);
	const memory = useRef(new Map<string, Remembered>()).current;
	// One action at a time: a second p must not race the first (pause, then pause again instead
	// of resume), t t must not enqueue two runs, and quitting while one runs asks first.
	const busy = useRef<string | undefined>(undefined);
	const refuseWhileBusy = useCallback((): boolean => {
		if (!busy.current) return false;
		show(`wait: ${busy.current} is still running`, 'error');
		return true;
	}, [show]);
	const suspend = useSuspend();
	const ui: Ui = useMemo(
		() => ({
			api,
			width: columns,
			height: Math.max(3, rows - 4),
			navigate: next => setStack(current => [...current, next]),
			// A view records where it is (its queue, state, page) with replace, from an effect; one
			// flushed just after a key opened another view must not bring the old one back.
			replace: next => setStack(current => (current.at(-1)!.view === next.view ? [...current.slice(0, -1), next] : current)),
			prompt: ({title, initial: value = '', onSubmit}) => setPrompt({title, value, onSubmit}),
			confirm: ({summary, expected, onConfirm}) =>
				refuseWhileBusy() || setPrompt({
					title: `${summary} Type "${expected}" to confirm:`,
					value: '',
					onSubmit: typed => {
						if (typed === expected) onConfirm();
						else show(`not confirmed (typed "${typed}", expected "${expected}")`, 'error');
					},
				}),
			flash: show,
			memory,
			suspend,
			act: (work, describe, after, what = 'the last action') => {
				if (refuseWhileBusy()) return;
				busy.current = what;
				show('working…');
				void (async () => {
					try {
						show(describe(await work()));
					} catch (error) {
						show(error instanceof Error ? error.message : String(error), 'error');
					}
					// Refreshed (also after an error: a bulk action may have done part of its work)
					// before the next action: a toggle must read the new state, not the old one.
					try {
						await after?.();
					} finally {
						busy.current = undefined;
					}
				})();
			},
		}),
		[api, columns, rows, show, setPrompt, memory, refuseWhileBusy, suspend],
	);

	// Ink re-subscribes a useInput handler in a passive effect after each render, so a key
	// arriving between a render and that effect (a loaded machine, keys sent by a script) would
	// meet the previous render's state: Tab twice would land on the same view. One handler for
	// the app's life reads the committed render's onKey instead.
	//
	// Keys typed fast (or sent by tmux) can arrive together, and React renders what a key did
	// only later: "jj" must be two moves, not the same move twice, "\t\tp" must pause a worker
	// on the workers view, not the queue the first view had selected, and "qq" must leave two
	// views. So keys wait in line, and each is handled once what the previous one did has been
	// committed (a turn is forced, in case the key changed nothing). A chunk of several
	// characters is split into keys, unless a prompt is open: then it is a paste.
	const latestOnKey = useRef(onKey);
	const keys = useRef<Array<[string, InkKey]>>([]);
	const draining = useRef(false);
	const awaitingCommit = useRef(false);
	const [, setTurn] = useState(0);
	const drain = useCallback(() => {
		const next = keys.current.shift();
		if (!next) {
			draining.current = false;
			return;
		}
		latestOnKey.current(...next);
		awaitingCommit.current = true;
		setTurn(turn => turn + 1);
	}, []);
	useLayoutEffect(() => {
		latestOnKey.current = onKey;
		if (awaitingCommit.current) {
			awaitingCommit.current = false;
			setImmediate(drain);
		}
	});
	const onInput = useCallback((input: string, key: InkKey) => {
		if (!promptRef.current && input.length > 1 && !key.ctrl && !key.meta && !key.escape) {
			for (const char of input) keys.current.push([char, {}]);
		} else keys.current.push([input, key]);
		if (draining.current) return;
		draining.current = true;
		drain();
	}, [drain]);
	useInput(onInput);
	const quitting = useRef(false);
	const quit = () => {
		// A bulk action stops between batches when the console exits: say so once, quit on the second press.
		if (busy.current && !quitting.current) {
			quitting.current = true;
			show(`${busy.current} is still running: press q (or ^C) again to quit and stop it after its current batch`, 'error');
			return;
		}
		exit();
	};

	function onKey(input: string, key: InkKey) {
		const name = keyName(input, key);
		if (name === 'ctrl-c') {
			quit();
			return;
		}
		if (name !== 'q') quitting.current = false;
		const open = promptRef.current;
		if (open) {
			// A key split from a chunk comes raw: its Enter and Backspace still edit.
			const next = editPrompt(open.value, input, name === 'enter' ? {return: true} : name === 'backspace' ? {backspace: true} : key);
			if (typeof next === 'string') setPrompt({...open, value: next});
			else {
				setPrompt(undefined);
				if (next.done === 'submit') open.onSubmit(open.value);
			}
			return;
		}
		if (help) {
			if (name === 'escape' || name === '?' || name === 'q') setHelp(false);
			return;
		}
		const action = resolve(name, scope, api.readOnly);
		if (!action) {
			const blocked = api.readOnly ? resolve(name, scope, false) : undefined;
			if (blocked) show(`read-only${api.readOnlyReason ? ` (${api.readOnlyReason})` : ''}: "${blocked.label}" is off`, 'error');
			return;
		}
		if (action.scope !== 'global' || FORWARDED.has(action.id)) {
			if (handler.current?.(action.id)) return;
		}
		// A key of this view that found nothing to act on (its list not loaded yet, or empty) says so.
		if (action.scope !== 'global') {
			show(`${action.label}: nothing selected`, 'error');
			return;
		}
		switch (action.id) {
			case 'help':
				setHelp(true);
				break;
			case 'quit':
				quit();
				break;
			case 'back':
				if (stack.length > 1) setStack(current => (current.length > 1 ? current.slice(0, -1) : current));
				else quit();
				break;
			case 'cancel':
				setFlash(undefined);
				break;
			case 'next-view':
			case 'previous-view': {
				const step = action.id === 'next-view' ? 1 : TABS.length - 1;
				setStack(current => [{view: TABS[(TABS.indexOf(tabOf(current.at(-1)!)) + step) % TABS.length]!}]);
				break;
			}
			default:
				break;
		}
	}

	return (
		<UiContext.Provider value={ui}>
			<HandlerContext.Provider value={handler}>
				<Box flexDirection="column" width={columns}>
					<Header where={api.where} readOnly={api.readOnly} tabs={TABS} current={tabOf(route)} />
					<Box height={ui.height} flexDirection="column" overflow="hidden">
						{help ? <HelpOverlay scope={scope} readOnly={api.readOnly} {...(api.readOnlyReason ? {reason: api.readOnlyReason} : {})} /> : <View key={`${stack.length}-${route.view}`} route={route} />}
					</Box>
					<Text color={flash?.kind === 'error' ? 'red' : 'green'}>{flash ? sanitizeLine(flash.text) : ' '}</Text>
					{prompt ? <Prompt state={prompt} /> : <Footer scope={scope} readOnly={api.readOnly} width={columns} />}
				</Box>
			</HandlerContext.Provider>
		</UiContext.Provider>
	);
}

/** Escape sequences of the terminal itself (never job text): the alternate screen, and the cursor. */
const ALTERNATE_SCREEN = '\u001B[?1049h';
const MAIN_SCREEN = '\u001B[?1049l';
const HIDE_CURSOR = '\u001B[?25l';

/**
 * Handing the terminal to another program (the pager) and taking it back.
 * Ink stops reading keys (raw mode off, and stdin paused: Node would read
 * the pager's keys otherwise) and its frames go nowhere, on a screen of the
 * pager's own; afterwards the console is drawn whole again. ^C meanwhile is
 * the pager's (less stops a search with it); SIGTERM and SIGHUP end the pager,
 * give the screen back and then end the console as they always do.
 */
function useSuspend(): Suspend {
	const {stdin, setRawMode} = useStdin();
	const {stdout, write: redraw} = useStdout();
	const held = useRef(false);
	return useCallback(async <T,>(run: (signal: AbortSignal) => Promise<T>): Promise<T> => {
		if (held.current) throw new Error('the terminal is handed over already');
		held.current = true;
		const write = stdout.write;
		setRawMode(false);
		// Node stops reading the terminal only once nothing listens (a turn later) and stdin is paused.
		await new Promise(resolve => setImmediate(resolve));
		stdin.pause();
		write.call(stdout, ALTERNATE_SCREEN);
		stdout.write = ((_chunk: unknown, ...rest: unknown[]) => {
			(rest.find(item => typeof item === 'function') as (() => void) | undefined)?.();
			return true;
		}) as typeof stdout.write;
		let given = false;
		const giveBack = () => {
			if (given) return;
			given = true;
			stdout.write = write;
			write.call(stdout, MAIN_SCREEN + HIDE_CURSOR);
		};
		const controller = new AbortController();
		let running: Promise<T> | undefined;
		const ignore = () => undefined;
		const stop = (signal: NodeJS.Signals) => {
			process.off('SIGINT', ignore);
			controller.abort();
			void atMost<unknown>(running ?? Promise.resolve(), 2000).then(() => {
				giveBack();
				process.kill(process.pid, signal);
			});
		};
		const onTerm = () => stop('SIGTERM');
		const onHangUp = () => stop('SIGHUP');
		process.on('SIGINT', ignore);
		process.once('SIGTERM', onTerm);
		process.once('SIGHUP', onHangUp);
		try {
			running = run(controller.signal);
			return await running;
		} finally {
			process.off('SIGTERM', onTerm);
			process.off('SIGHUP', onHangUp);
			if (!controller.signal.aborted) {
				process.off('SIGINT', ignore);
				giveBack();
				setRawMode(true);
				// Ink erases what it last drew and draws the console whole.
				redraw('');
				held.current = false;
			}
		}
	}, [stdin, stdout, setRawMode, redraw]);
}
