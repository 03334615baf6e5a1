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
import {useReducer, useRef, useState} from 'react';
import {sanitizeLine} from '../common/sanitize.js';
import {keyName, resolve, type InkKey} from '../keymap/dispatch.js';
import {FORWARDED} from '../keymap/commands.js';
import type {TableState} from '../present/table-model.js';
import type {ConsoleApi} from '../store/console-api.js';
import {useCommandLine} from './command-line.js';
import {Footer} from './components/footer.js';
import {HelpOverlay} from './components/help-overlay.js';
import {Prompt} from './components/prompt.js';
import {Header} from './components/header.js';
import {atHome, navigate, top, type Navigation} from './navigation.js';
import {HandlerContext, UiContext, type ActionHandler, type Remembered, type Route, type Undo} from './ui-context.js';
import {useFlash} from './use-flash.js';
import {useHelp} from './use-help.js';
import {useKeyQueue} from './use-key-queue.js';
import {FrozenContext} from './use-poll.js';
import {usePrompt} from './use-prompt.js';
import {useSuspend} from './use-suspend.js';
import {useTerminalSize} from './use-terminal-size.js';
import {useUiValue} from './use-ui-value.js';
import {TABS, tabOf, View} from './views/view.js';

export function App({api, initial = {view: 'queues'}}: {api: ConsoleApi; initial?: Route}) {
	const {exit} = useApp();
	const {columns, rows} = useTerminalSize();
	const [stack, go] = useReducer(navigate, [initial] as Navigation);
	const route = top(stack);
	const {prompt, isOpen, setPrompt, edit} = usePrompt();
	const [frozen, setFrozen] = useState(false);
	const {flash, show} = useFlash(stack);
	const handler = useRef<ActionHandler | undefined>(undefined);
	const memory = useRef(new Map<string, Remembered>()).current;
	const tables = useRef(new Map<string, TableState>()).current;
	const lastUndo = useRef<Undo | undefined>(undefined);
	const busy = useRef<string | undefined>(undefined);
	const help = useHelp(route.view, api.readOnly, api.readOnlyReason, columns, Math.max(3, rows - 4));
	const ui = useUiValue({api, columns, rows, go, setPrompt, show, memory, tables, busy, lastUndo, suspend: useSuspend()});

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
	const openCommandLine = useCommandLine(api, setPrompt, outcome => {
		if (outcome.kind === 'quit') quit();
		else if (outcome.kind === 'help') help.show();
		else if (outcome.kind === 'go') go({type: 'go', route: outcome.route});
		else show(outcome.message, 'error');
	}, () => ('queue' in route ? route.queue : undefined));
	const undo = () => {
		const last = lastUndo.current;
		lastUndo.current = undefined;
		if (last) last.run();
		else show('nothing to undo', 'error');
	};
	/** What the app does with a global action the view left. */
	const global: Record<string, () => void> = {
		help: help.show,
		quit,
		back: () => (atHome(stack) ? quit() : go({type: 'pop'})),
		cancel: () => go({type: 'pop'}),
		command: openCommandLine,
		freeze: () => setFrozen(current => !current),
		undo,
		'next-view': () => go({type: 'tab', by: 1}),
		'previous-view': () => go({type: 'tab', by: -1}),
	};

	const onKey = (input: string, key: InkKey) => {
		const name = keyName(input, key);
		if (name === 'ctrl-c') return quit();
		if (name !== 'q') quitting.current = false;
		if (isOpen()) return edit(input, name, key);
		if (help.open) return help.key(name);
		const action = resolve(name, route.view, api.readOnly);
		if (!action) {
			const blocked = api.readOnly ? resolve(name, route.view, false) : undefined;
			if (blocked) show(`read-only${api.readOnlyReason ? ` (${api.readOnlyReason})` : ''}: "${blocked.label}" is off`, 'error');
			return;
		}
		if ((action.scope !== 'global' || FORWARDED.has(action.id)) && handler.current?.(action.id)) return;
		// A key of this view that found nothing to act on (its list not loaded yet, or empty) says so.
		if (action.scope !== 'global') show(`${action.label}: nothing selected`, 'error');
		else global[action.id]?.();
	};
	useKeyQueue(onKey, isOpen);

	return (
		<UiContext.Provider value={ui}>
			<HandlerContext.Provider value={handler}>
				<FrozenContext.Provider value={frozen}>
				<Box flexDirection="column" width={columns}>
					<Header where={api.where} {...(api.environment ? {environment: api.environment} : {})} prefix={api.prefix} readOnly={api.readOnly} frozen={frozen} tabs={TABS} current={tabOf(route)} />
					<Box height={ui.height} flexDirection="column" overflow="hidden">
						{help.open ? <HelpOverlay scope={route.view} readOnly={api.readOnly} {...(api.readOnlyReason ? {reason: api.readOnlyReason} : {})} width={columns} height={ui.height} offset={help.offset} /> : <View key={`${stack.length}-${route.view}`} route={route} />}
					</Box>
					<Text color={flash?.kind === 'error' ? 'red' : 'green'} wrap="truncate-end">{flash ? sanitizeLine(flash.text) : ' '}</Text>
					{prompt ? <Prompt state={prompt} width={columns} /> : <Footer scope={route.view} readOnly={api.readOnly} width={columns} />}
				</Box>
				</FrozenContext.Provider>
			</HandlerContext.Provider>
		</UiContext.Provider>
	);
}
