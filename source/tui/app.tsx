/**
 * The console's shell:
 *
 *   saccos-queue  redis://10.0.0.5:6379  READ-ONLY   queues │ jobs │ workers │ schedules │ services │ logs
 *   <the focused view>
 *   ✔ retried 3 jobs of emails                                  ← flash line (the view's that raised it)
 *   Enter jobs  / filter  p pause/resume  …  ? help  q back/quit ← footer (or a prompt)
 *
 * Keys route down a stack (docs/ARCHITECTURE.md, "The key table"): Ctrl-C always quits; an open
 * prompt (a filter, a confirmation, the `:` command line) or the help overlay takes every key;
 * then the focused view gets the action (views see action ids from the keymap, never raw keys);
 * what it leaves, the app handles: help, back (q: quits only from the home view; Esc: never
 * quits), Tab, `:`, undo.
 */
import {Box, Text, useApp} from 'ink';
import {useCallback, useMemo, useReducer, useRef, useState} from 'react';
import {sanitizeLine} from '../shared/sanitize.js';
import {keyName, resolve, type InkKey} from '../keymap/dispatch.js';
import {FORWARDED} from '../keymap/commands.js';
import type {ConsoleApi} from '../store/console-api.js';
import {candidates, complete, parseCommand} from './command-line.js';
import {Footer} from './components/footer.js';
import {HelpOverlay} from './components/help-overlay.js';
import {editPrompt, Prompt, type PromptState} from './components/prompt.js';
import {Header} from './components/header.js';
import {atHome, navigate, top} from './navigation.js';
import {HandlerContext, UiContext, type ActionHandler, type Remembered, type Route, type Ui, type Undo} from './ui-context.js';
import {useKeyQueue} from './use-key-queue.js';
import {useSuspend} from './use-suspend.js';
import {useTerminalSize} from './use-terminal-size.js';
import {TABS, tabOf, View} from './views/view.js';

/** A flash belongs to the view that raised it (its place in the stack): another view never shows it. */
type Flash = {text: string; kind: 'info' | 'error'; owner: string};

const ownerOf = (stack: readonly Route[]): string => `${stack.length}:${top(stack as [Route]).view}`;

export function App({api, initial = {view: 'queues'}}: {api: ConsoleApi; initial?: Route}) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	const [stack, go] = useReducer(navigate, [initial] as const);
	const route = top(stack);
	// Refs as well as state: keys typed faster than a render must see each other's edits.
	const [prompt, setPromptState] = useState<PromptState | undefined>(undefined);
	const promptRef = useRef<PromptState | undefined>(undefined);
	const setPrompt = useCallback((next: PromptState | undefined) => {
		promptRef.current = next;
		setPromptState(next);
	}, []);
	const [help, setHelp] = useState(false);
	const [flash, setFlash] = useState<Flash | undefined>(undefined);
	const owner = useRef(ownerOf(stack));
	owner.current = ownerOf(stack);
	const handler = useRef<ActionHandler | undefined>(undefined);
	const show = useCallback((text: string, kind: 'info' | 'error' = 'info') => setFlash({text, kind, owner: owner.current}), []);
	const memory = useRef(new Map<string, Remembered>()).current;
	const lastUndo = useRef<Undo | undefined>(undefined);
	const busy = useRef<string | undefined>(undefined);
	const ui = useUiValue({api, columns, rows, go, setPrompt, show, memory, busy, lastUndo, suspend: useSuspend()});
	const queueNames = useRef<string[]>([]);

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
	const openCommandLine = () => {
		void api.queueNames().then(names => {
			queueNames.current = names;
		}, () => undefined);
		setPrompt({
			title: ':',
			value: '',
			complete: value => complete(value, queueNames.current),
			hint: value => candidates(value, queueNames.current).slice(0, 12).join(' '),
			onSubmit: text => {
				const outcome = parseCommand(text, queueNames.current);
				if (outcome.kind === 'quit') quit();
				else if (outcome.kind === 'help') setHelp(true);
				else if (outcome.kind === 'go') go({type: 'go', route: outcome.route});
				else show(outcome.message, 'error');
			},
		});
	};

	const appAction = (id: string): void => {
		switch (id) {
			case 'help':
				setHelp(true);
				return;
			case 'quit':
				quit();
				return;
			case 'back':
				if (atHome(stack)) quit();
				else go({type: 'pop'});
				return;
			case 'cancel':
				go({type: 'pop'});
				return;
			case 'command':
				openCommandLine();
				return;
			case 'undo': {
				const undo = lastUndo.current;
				if (undo) {
					lastUndo.current = undefined;
					undo.run();
				} else show('nothing to undo', 'error');
				return;
			}
			case 'next-view':
			case 'previous-view':
				go({type: 'tab', by: id === 'next-view' ? 1 : -1});
				return;
			default:
		}
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
			editOpenPrompt(open, input, name, key);
			return;
		}
		if (help) {
			if (name === 'escape' || name === '?' || name === 'q') setHelp(false);
			return;
		}
		const action = resolve(name, route.view, api.readOnly);
		if (!action) {
			const blocked = api.readOnly ? resolve(name, route.view, false) : undefined;
			if (blocked) show(`read-only${api.readOnlyReason ? ` (${api.readOnlyReason})` : ''}: "${blocked.label}" is off`, 'error');
			return;
		}
		if (action.scope !== 'global' || FORWARDED.has(action.id)) {
			if (handler.current?.(action.id)) return;
		}
		// A key of this view that found nothing to act on (its list not loaded yet, or empty) says so.
		if (action.scope !== 'global') show(`${action.label}: nothing selected`, 'error');
		else appAction(action.id);
	}

	function editOpenPrompt(open: PromptState, input: string, name: string, key: InkKey) {
		if (name === 'tab' && open.complete) {
			setPrompt({...open, value: open.complete(open.value)});
			return;
		}
		// A key split from a chunk comes raw: its Enter and Backspace still edit.
		const next = editPrompt(open.value, input, name === 'enter' ? {return: true} : name === 'backspace' ? {backspace: true} : key);
		if (typeof next === 'string') {
			setPrompt({...open, value: next});
			open.onChange?.(next);
			return;
		}
		setPrompt(undefined);
		if (next.done === 'submit') open.onSubmit(open.value);
		else open.onCancel?.();
	}

	useKeyQueue(onKey, () => promptRef.current !== undefined);

	const visibleFlash = flash && flash.owner === ownerOf(stack) ? flash : undefined;
	return (
		<UiContext.Provider value={ui}>
			<HandlerContext.Provider value={handler}>
				<Box flexDirection="column" width={columns}>
					<Header where={api.where} readOnly={api.readOnly} tabs={TABS} current={tabOf(route)} />
					<Box height={ui.height} flexDirection="column" overflow="hidden">
						{help ? <HelpOverlay scope={route.view} readOnly={api.readOnly} {...(api.readOnlyReason ? {reason: api.readOnlyReason} : {})} /> : <View key={`${stack.length}-${route.view}`} route={route} />}
					</Box>
					<Text color={visibleFlash?.kind === 'error' ? 'red' : 'green'} wrap="truncate-end">{visibleFlash ? sanitizeLine(visibleFlash.text) : ' '}</Text>
					{prompt ? <Prompt state={prompt} width={columns} /> : <Footer scope={route.view} readOnly={api.readOnly} width={columns} />}
				</Box>
			</HandlerContext.Provider>
		</UiContext.Provider>
	);
}

type UiDeps = {
	api: ConsoleApi;
	columns: number;
	rows: number;
	go: (event: Parameters<typeof navigate>[1]) => void;
	setPrompt: (next: PromptState | undefined) => void;
	show: (text: string, kind?: 'info' | 'error') => void;
	memory: Map<string, Remembered>;
	/** What runs now (one action at a time), for the messages. */
	busy: {current: string | undefined};
	lastUndo: {current: Undo | undefined};
	suspend: Ui['suspend'];
};

/**
 * What views get from the app (ui-context.ts). One action at a time: a second p must not race
 * the first (pause, then pause again instead of resume), t t must not enqueue two runs, and
 * quitting while one runs asks first.
 */
function useUiValue({api, columns, rows, go, setPrompt, show, memory, busy, lastUndo, suspend}: UiDeps): Ui {
	return useMemo((): Ui => {
		const refuseWhileBusy = (): boolean => {
			if (!busy.current) return false;
			show(`wait: ${busy.current} is still running`, 'error');
			return true;
		};
		return {
			api,
			width: columns,
			height: Math.max(3, rows - 4),
			navigate: next => go({type: 'push', route: next}),
			replace: next => go({type: 'replace', route: next}),
			prompt: ({title, initial: value = '', onSubmit, onChange}) =>
				setPrompt({title, value, onSubmit, ...(onChange ? {onChange, onCancel: () => onChange(value)} : {})}),
			confirm: ({summary, expected, onConfirm}) =>
				refuseWhileBusy() ||
				setPrompt({
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
			act: (work, describe, after, what = 'the last action', undo) => {
				if (refuseWhileBusy()) return;
				busy.current = what;
				show('working…');
				void (async () => {
					try {
						const done = describe(await work());
						lastUndo.current = undo;
						show(undo ? `${done} · u: ${undo.label}` : done);
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
		};
	}, [api, columns, rows, go, setPrompt, show, memory, busy, lastUndo, suspend]);
}
