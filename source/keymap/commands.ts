/**
 * The console's one key table (docs/ARCHITECTURE.md, "The key table"): key, description, scope and
 * whether the action is dangerous or writes. The footer, the `?` overlay and
 * the README's key table are all built from it; views receive action ids,
 * never raw keys. Read-only mode simply never binds an action that writes.
 */

export type Scope = 'global' | 'queues' | 'jobs' | 'job' | 'metrics' | 'search' | 'workers' | 'schedules' | 'services' | 'logs' | 'events';

type KeyActionSpec = {
	id: string;
	/** Key names as `keyName` (dispatch.ts) produces them: "j", "R", "up", "enter", "shift-tab", "ctrl-c"… */
	keys: readonly string[];
	/** What the footer shows (short). */
	label: string;
	/** What the help overlay shows. */
	description: string;
	scope: Scope;
	/** Changes Redis or processes: never bound in read-only mode. */
	writes?: boolean;
	/** Asks for the queue name (or "yes") to be typed before it runs. */
	dangerous?: boolean;
	/** Kept out of the footer (still in the help). */
	hidden?: boolean;
};

const table = [
	{id: 'help', keys: ['?'], label: 'help', description: 'show every key of this view', scope: 'global'},
	{id: 'back', keys: ['q'], label: 'back/quit', description: 'back to the previous view; quit from the home view', scope: 'global'},
	{id: 'quit', keys: ['ctrl-c'], label: 'quit', description: 'quit at once', scope: 'global', hidden: true},
	{id: 'cancel', keys: ['escape'], label: 'back', description: 'close a prompt or overlay, clear a filter or the marks, else back (never quits)', scope: 'global', hidden: true},
	{id: 'command', keys: [':'], label: 'command', description: 'command line: :queues, :jobs emails failed, :job emails 42, :find +255712345678 (or :find emails failed TEXT), :workers, :logs worker@high, :q (Tab completes)', scope: 'global'},
	{id: 'freeze', keys: ['Z'], label: 'freeze', description: 'freeze or resume updates (what is on screen stays; ^R reads once)', scope: 'global'},
	{id: 'undo', keys: ['u'], label: 'undo', description: 'undo the last pause or resume', scope: 'global', writes: true, hidden: true},
	{id: 'next-view', keys: ['tab'], label: 'next view', description: 'next view (queues, jobs, workers, schedules, services, logs, events)', scope: 'global'},
	{id: 'previous-view', keys: ['shift-tab'], label: 'prev view', description: 'previous view', scope: 'global', hidden: true},
	{id: 'up', keys: ['k', 'up'], label: 'up', description: 'move up', scope: 'global', hidden: true},
	{id: 'down', keys: ['j', 'down'], label: 'down', description: 'move down', scope: 'global', hidden: true},
	{id: 'page-up', keys: ['pageup', 'ctrl-b'], label: 'page up', description: 'a page up', scope: 'global', hidden: true},
	{id: 'page-down', keys: ['pagedown', 'ctrl-f'], label: 'page down', description: 'a page down', scope: 'global', hidden: true},
	{id: 'top', keys: ['g', 'home'], label: 'top', description: 'first row', scope: 'global', hidden: true},
	{id: 'bottom', keys: ['G', 'end'], label: 'bottom', description: 'last row', scope: 'global', hidden: true},
	{id: 'refresh', keys: ['ctrl-r'], label: 'refresh', description: 'refresh now', scope: 'global', hidden: true},

	{id: 'inspect', keys: ['enter'], label: 'jobs', description: 'open the jobs of the selected queue', scope: 'queues'},
	{id: 'filter', keys: ['/'], label: 'filter', description: 'filter the queues by name, as you type', scope: 'queues'},
	{id: 'sort', keys: ['o'], label: 'sort', description: 'sort by the next column (the header marks it ↓/↑); after the last, the usual order', scope: 'queues'},
	{id: 'reverse-sort', keys: ['O'], label: 'reverse', description: 'reverse the sort', scope: 'queues', hidden: true},
	{id: 'problems', keys: ['!'], label: 'problems', description: 'problems first, then problems only, then all (failed jobs, jobs and no worker, paused, over threshold)', scope: 'queues'},
	{id: 'metrics', keys: ['m'], label: 'metrics', description: 'the selected queue\'s metrics: per job name, runtime histogram, jobs per minute', scope: 'queues'},
	{id: 'pause', keys: ['p'], label: 'pause/resume', description: 'pause or resume the selected queue', scope: 'queues', writes: true},
	{id: 'retry-all', keys: ['R'], label: 'retry all', description: 'retry every failed job of the selected queue', scope: 'queues', writes: true, dangerous: true},
	{id: 'flush', keys: ['F'], label: 'flush failed', description: 'delete every failed job of the selected queue', scope: 'queues', writes: true, dangerous: true},

	{id: 'metrics', keys: ['m'], label: 'metrics', description: 'this queue\'s metrics: per job name, runtime histogram, jobs per minute', scope: 'jobs'},
	{id: 'inspect', keys: ['enter'], label: 'inspect', description: 'show the selected job: data, error, stack trace, logs', scope: 'jobs'},
	{id: 'filter', keys: ['/'], label: 'filter', description: 'filter this page by id, name or error', scope: 'jobs'},
	{id: 'state-1', keys: ['1'], label: 'waiting', description: 'show waiting jobs', scope: 'jobs', hidden: true},
	{id: 'state-2', keys: ['2'], label: 'active', description: 'show active jobs', scope: 'jobs', hidden: true},
	{id: 'state-3', keys: ['3'], label: 'delayed', description: 'show delayed jobs', scope: 'jobs', hidden: true},
	{id: 'state-4', keys: ['4'], label: 'prioritized', description: 'show prioritized jobs', scope: 'jobs', hidden: true},
	{id: 'state-5', keys: ['5'], label: 'waiting-children', description: 'show waiting-children jobs', scope: 'jobs', hidden: true},
	{id: 'state-6', keys: ['6'], label: 'completed', description: 'show completed jobs', scope: 'jobs', hidden: true},
	{id: 'state-7', keys: ['7'], label: 'failed', description: 'show failed jobs', scope: 'jobs', hidden: true},
	{id: 'mark', keys: ['space'], label: 'mark', description: 'mark or unmark the selected job', scope: 'jobs'},
	{id: 'previous-queue', keys: ['['], label: 'prev queue', description: 'the previous queue', scope: 'jobs', hidden: true},
	{id: 'next-queue', keys: [']'], label: 'next queue', description: 'the next queue', scope: 'jobs', hidden: true},
	{id: 'retry', keys: ['r'], label: 'retry', description: 'retry the marked failed jobs, or the selected one', scope: 'jobs', writes: true},
	{id: 'retry-all', keys: ['R'], label: 'retry all', description: 'retry every failed job of this queue', scope: 'jobs', writes: true, dangerous: true},
	{id: 'delete', keys: ['D'], label: 'delete', description: 'delete the marked jobs, or the selected one', scope: 'jobs', writes: true, dangerous: true},
	{id: 'flush', keys: ['F'], label: 'flush failed', description: 'delete every failed job of this queue', scope: 'jobs', writes: true, dangerous: true},
	{id: 'pause', keys: ['p'], label: 'pause/resume', description: 'pause or resume this queue', scope: 'jobs', writes: true},
	{id: 'logs', keys: ['l'], label: 'logs', description: 'the worker log lines around the selected job', scope: 'jobs'},

	{id: 'retry', keys: ['r'], label: 'retry', description: 'retry this job (when failed)', scope: 'job', writes: true},
	{id: 'delete', keys: ['D'], label: 'delete', description: 'delete this job', scope: 'job', writes: true, dangerous: true},
	{id: 'logs', keys: ['l'], label: 'logs', description: 'the worker log lines around this job', scope: 'job'},
	{id: 'pager', keys: ['e'], label: 'pager', description: 'the whole job (data, error, stack traces, however large) in $PAGER (default less)', scope: 'job'},

	{id: 'inspect', keys: ['enter'], label: 'open', description: 'show the selected match (Esc stops a search under way, then goes back; ^R searches again)', scope: 'search'},

	{id: 'inspect', keys: ['enter'], label: 'details', description: 'every field of the selected worker, whole', scope: 'workers'},
	{id: 'filter', keys: ['/'], label: 'filter', description: 'filter the workers by id, host, queue or state, as you type', scope: 'workers'},
	{id: 'sort', keys: ['o'], label: 'sort', description: 'sort by the next column (the header marks it ↓/↑); after the last, the usual order', scope: 'workers'},
	{id: 'reverse-sort', keys: ['O'], label: 'reverse', description: 'reverse the sort', scope: 'workers', hidden: true},
	{id: 'problems', keys: ['!'], label: 'problems', description: 'problems first, then problems only, then all (stale heartbeat, paused, stopping)', scope: 'workers'},
	{id: 'worker-pause', keys: ['p'], label: 'pause/resume', description: 'pause or resume the selected worker (through Redis)', scope: 'workers', writes: true},
	{id: 'worker-stop', keys: ['x'], label: 'stop', description: 'stop the selected worker gracefully (systemd restarts it)', scope: 'workers', writes: true, dangerous: true},

	{id: 'inspect', keys: ['enter'], label: 'details', description: 'every field of the selected schedule, whole (its last run, its missed runs)', scope: 'schedules'},
	{id: 'filter', keys: ['/'], label: 'filter', description: 'filter the schedules, as you type', scope: 'schedules'},
	{id: 'sort', keys: ['o'], label: 'sort', description: 'sort by the next column (the header marks it ↓/↑); after the last, the usual order', scope: 'schedules'},
	{id: 'reverse-sort', keys: ['O'], label: 'reverse', description: 'reverse the sort', scope: 'schedules', hidden: true},
	{id: 'problems', keys: ['!'], label: 'problems', description: 'problems first, then problems only, then all (missed runs, last run failed, not in Redis)', scope: 'schedules'},
	{id: 'run-schedule', keys: ['t'], label: 'run now', description: 'enqueue one run of the selected schedule now', scope: 'schedules', writes: true},

	{id: 'filter', keys: ['/'], label: 'filter', description: 'filter the services, as you type', scope: 'services'},
	{id: 'sort', keys: ['o'], label: 'sort', description: 'sort by the next column (the header marks it ↓/↑); after the last, the usual order', scope: 'services'},
	{id: 'reverse-sort', keys: ['O'], label: 'reverse', description: 'reverse the sort', scope: 'services', hidden: true},
	{id: 'problems', keys: ['!'], label: 'problems', description: 'problems first, then problems only, then all (failed, stopped, restarting)', scope: 'services'},
	{id: 'start-service', keys: ['s'], label: 'start', description: 'start the selected service', scope: 'services', writes: true},
	{id: 'stop-service', keys: ['x'], label: 'stop', description: 'stop the selected service', scope: 'services', writes: true, dangerous: true},
	{id: 'restart-service', keys: ['S'], label: 'restart', description: 'restart the selected service', scope: 'services', writes: true, dangerous: true},
	{id: 'logs', keys: ['l', 'enter'], label: 'logs', description: 'the selected service\'s log', scope: 'services'},

	{id: 'window', keys: ['t'], label: 'window', description: 'the window: last hour, 24 hours, 7 days', scope: 'metrics'},
	{id: 'sort', keys: ['o'], label: 'sort', description: 'sort the job names by the next column', scope: 'metrics'},
	{id: 'reverse-sort', keys: ['O'], label: 'reverse', description: 'reverse the sort', scope: 'metrics', hidden: true},
	{id: 'jobs', keys: ['enter'], label: 'jobs', description: 'the jobs of this queue', scope: 'metrics'},

	{id: 'follow', keys: ['f'], label: 'follow', description: 'follow new lines (on/off)', scope: 'logs'},
	{id: 'filter', keys: ['/'], label: 'filter', description: 'show only lines containing a text', scope: 'logs'},
	{id: 'inspect', keys: ['enter'], label: 'detail', description: 'the selected line whole: every field, the error and its stack (Esc closes)', scope: 'logs'},
	{id: 'wrap', keys: ['w'], label: 'wrap', description: 'wrap long lines onto the following rows, or cut them at the edge (on/off)', scope: 'logs'},
	{id: 'scroll-left', keys: ['h', 'left'], label: 'scroll left', description: 'scroll cut lines back to the left (when not wrapping)', scope: 'logs', hidden: true},
	{id: 'scroll-right', keys: ['l', 'right'], label: 'scroll right', description: 'scroll cut lines right, half a screen (when not wrapping)', scope: 'logs', hidden: true},

	{id: 'follow', keys: ['f'], label: 'pause/follow', description: 'stop or resume following new events', scope: 'events'},
	{id: 'filter', keys: ['/'], label: 'filter', description: 'show only events containing a text (queue, event, job, reason…)', scope: 'events'},
	{id: 'inspect', keys: ['enter'], label: 'job', description: 'open the job of the selected event', scope: 'events'},
	{id: 'quiet', keys: ['n'], label: 'hide noise', description: 'hide or show the waiting, active and drained events', scope: 'events'},
] as const satisfies readonly KeyActionSpec[];

type Entry = (typeof table)[number];
/** Every action id of the table. */
export type ActionId = Entry['id'];
export type KeyAction = KeyActionSpec & {id: ActionId};

export const keymap: readonly KeyAction[] = table;
/** The scopes of a view (every scope but the global one). */
export type ViewScope = Exclude<Scope, 'global'>;
/** The actions the table gives a view's scope: the view must handle each (ui-context.ts, useViewKeys). */
export type ViewActionId<S extends ViewScope> = Extract<Entry, {scope: S}>['id'];
/** Global actions a view may take first (movement, refresh, Esc, back); the app handles what it leaves. */
export type ForwardedId = 'up' | 'down' | 'page-up' | 'page-down' | 'top' | 'bottom' | 'refresh' | 'cancel' | 'back';
export const FORWARDED: ReadonlySet<string> = new Set<ForwardedId>(['up', 'down', 'page-up', 'page-down', 'top', 'bottom', 'refresh', 'cancel', 'back']);

