/**
 * The console's shell:
 *
 *   saccos-queue  redis://10.0.0.5:6379  READ-ONLY   queues │ jobs │ workers │ schedules │ services │ logs
 *   <the focused view>
 *   ✔ retried 3 jobs of emails                                  ← flash line
 *   Enter jobs  / filter  p pause/resume  …  ? help  q back/quit ← footer (or a prompt)
 *
 * Keys route down a stack (house style 4): Ctrl-C always quits; an open
 * prompt or the help overlay takes every key; then the focused view gets the
 * action (views see action ids from the keymap, never raw keys); what it
 * leaves, the app handles (help, back, quit, Tab).
 */
import {Box, Text, useApp, useInput, useStdout} from 'ink';
import {useCallback, useEffect, useMemo, useRef, useState} from 'react';
import {sanitizeLine} from '../data/sanitize.js';
import type {Scope} from '../keymap/commands.js';
import {keyName, resolve} from '../keymap/dispatch.js';
import type {ConsoleApi} from '../store/console-api.js';
import {Footer} from './components/footer.js';
import {HelpOverlay} from './components/help-overlay.js';
import {editPrompt, Prompt, type PromptState} from './components/prompt.js';
import {HandlerContext, UiContext, type ActionHandler, type Route, type Ui} from './ui-context.js';
import {JobView} from './views/job-view.js';
import {JobsView} from './views/jobs-view.js';
import {LogsView} from './views/logs-view.js';
import {QueuesView} from './views/queues-view.js';
import {SchedulesView} from './views/schedules-view.js';
import {ServicesView} from './views/services-view.js';
import {WorkersView} from './views/workers-view.js';

const TABS = ['queues', 'jobs', 'workers', 'schedules', 'services', 'logs'] as const;
type Tab = (typeof TABS)[number];

const tabOf = (route: Route): Tab => (route.view === 'job' ? 'jobs' : route.view);

/** Keys that move or refresh: the view gets them first, though they are global. */
const FORWARDED = new Set(['up', 'down', 'page-up', 'page-down', 'top', 'bottom', 'refresh', 'cancel', 'back']);

type Flash = {text: string; kind: 'info' | 'error'};

function useTerminalSize(): {columns: number; rows: number} {
	const {stdout} = useStdout();
	const read = () => ({columns: stdout.columns || 100, rows: stdout.rows || 30});
	const [size, setSize] = useState(read);
	useEffect(() => {
		const onResize = () => setSize(read());
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [stdout]);
	return size;
}

function View({route}: {route: Route}) {
	switch (route.view) {
		case 'queues':
			return <QueuesView />;
		case 'jobs':
			return <JobsView route={route} />;
		case 'job':
			return <JobView route={route} />;
		case 'workers':
			return <WorkersView />;
		case 'schedules':
			return <SchedulesView />;
		case 'services':
			return <ServicesView />;
		case 'logs':
			return <LogsView route={route} />;
	}
}

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
	const memory = useRef(new Map<string, number>()).current;
	const ui: Ui = useMemo(
		() => ({
			api,
			width: columns,
			height: Math.max(3, rows - 4),
			navigate: next => setStack(current => [...current, next]),
			replace: next => setStack(current => [...current.slice(0, -1), next]),
			prompt: ({title, initial: value = '', onSubmit}) => setPrompt({title, value, onSubmit}),
			confirm: ({summary, expected, onConfirm}) =>
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
			act: (work, describe, after) => {
				show('working…');
				work().then(
					result => {
						show(describe(result));
						after?.();
					},
					(error: unknown) => show(error instanceof Error ? error.message : String(error), 'error'),
				);
			},
		}),
		[api, columns, rows, show, setPrompt, memory],
	);

	useInput((input, key) => {
		// Keys typed fast (or sent by tmux) can arrive as one chunk: "jj" is two moves, not one
		// unknown key. A prompt takes the chunk whole (a paste).
		if (!promptRef.current && input.length > 1 && !key.ctrl && !key.meta && !key.escape) {
			for (const char of input) onKey(char, {});
			return;
		}
		onKey(input, key);
	});

	function onKey(input: string, key: Parameters<typeof keyName>[1]) {
		const name = keyName(input, key);
		if (name === 'ctrl-c') {
			exit();
			return;
		}
		const open = promptRef.current;
		if (open) {
			const next = editPrompt(open.value, input, key);
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
			if (blocked) show(`read-only: "${blocked.label}" is off`, 'error');
			return;
		}
		if (action.scope !== 'global' || FORWARDED.has(action.id)) {
			if (handler.current?.(action.id)) return;
		}
		switch (action.id) {
			case 'help':
				setHelp(true);
				break;
			case 'quit':
				exit();
				break;
			case 'back':
				if (stack.length > 1) setStack(current => current.slice(0, -1));
				else exit();
				break;
			case 'cancel':
				setFlash(undefined);
				break;
			case 'next-view':
			case 'previous-view': {
				const step = action.id === 'next-view' ? 1 : TABS.length - 1;
				const next = TABS[(TABS.indexOf(tabOf(route)) + step) % TABS.length]!;
				setStack([{view: next}]);
				break;
			}
			default:
				break;
		}
	}

	const current = tabOf(route);
	return (
		<UiContext.Provider value={ui}>
			<HandlerContext.Provider value={handler}>
				<Box flexDirection="column" width={columns}>
					<Box>
						<Text bold color="cyan">saccos-queue </Text>
						<Text>{sanitizeLine(api.where)} </Text>
						{api.readOnly ? <Text inverse color="yellow"> READ-ONLY </Text> : null}
						<Text> </Text>
						{TABS.map((tab, index) => (
							<Text key={tab} {...(tab === current ? {bold: true, underline: true} : {dimColor: true})}>
								{`${index > 0 ? ' │ ' : ''}${tab}`}
							</Text>
						))}
					</Box>
					<Box height={ui.height} flexDirection="column" overflow="hidden">
						{help ? <HelpOverlay scope={scope} readOnly={api.readOnly} /> : <View key={`${stack.length}-${route.view}`} route={route} />}
					</Box>
					<Text color={flash?.kind === 'error' ? 'red' : 'green'}>{flash ? sanitizeLine(flash.text) : ' '}</Text>
					{prompt ? <Prompt state={prompt} /> : <Footer scope={scope} readOnly={api.readOnly} width={columns} />}
				</Box>
			</HandlerContext.Provider>
		</UiContext.Provider>
	);
}
