/**
 * The command table: names and one-line summaries are here so that --help
 * costs no imports; each command's module is loaded only when it runs.
 */
import type {CommandModule} from '../command.js';

export type CommandEntry = {
	name: string;
	summary: string;
	load: () => Promise<CommandModule>;
};

export const commands: CommandEntry[] = [
	{name: 'console', summary: 'the interactive console (also: no command on a terminal)', load: async () => import('./console.js')},
	{name: 'status', summary: 'queues, counts per state, workers, schedules, Redis health', load: async () => import('./status.js')},
	{name: 'monitor', summary: 'size per queue vs threshold; exit 1 when any is over (queue:monitor)', load: async () => import('./monitor.js')},
	{name: 'metrics', summary: 'jobs per minute, failures, runtime and wait percentiles, latency, per queue or job name', load: async () => import('./metrics.js')},
	{name: 'exporter', summary: 'serve the Prometheus metrics over HTTP (GET /metrics), read-only, until stopped', load: async () => import('./exporter.js')},
	{name: 'queues', summary: 'the known queues; `queues discover` finds BullMQ queues in Redis', load: async () => import('./queues.js')},
	{name: 'jobs', summary: 'a page of jobs in one state', load: async () => import('./jobs.js')},
	{name: 'job', summary: 'one job: data, options, error, stack trace, attempts, logs', load: async () => import('./job.js')},
	{name: 'failed', summary: 'failed jobs across queues, newest first (queue:failed)', load: async () => import('./failed.js')},
	{name: 'events', summary: 'live queue events (added, completed, failed, stalled, …)', load: async () => import('./events.js')},
	{name: 'retry', summary: 'failed → waiting, by id or --all, in bounded batches (queue:retry)', load: async () => import('./retry.js')},
	{name: 'flush', summary: 'delete failed jobs, optionally --older-than D (queue:flush)', load: async () => import('./flush.js')},
	{name: 'archive', summary: 'move old failed jobs to a JSON-lines file, then delete them', load: async () => import('./archive.js')},
	{name: 'restore', summary: 're-enqueue the jobs of an archive file', load: async () => import('./restore.js')},
	{name: 'clean', summary: 'delete jobs of one state older than D, in bounded batches', load: async () => import('./clean.js')},
	{name: 'pause', summary: 'stop handing out jobs of a queue', load: async () => import('./pause.js')},
	{name: 'resume', summary: 'resume a paused queue', load: async () => (await import('./pause.js')).resume},
	{name: 'dispatch', summary: 'enqueue a job (e.g. approval.processed, loan.approved)', load: async () => import('./dispatch.js')},
	{name: 'audit', summary: 'who did what: every mutating action, allowed or refused', load: async () => import('./audit.js')},
	{name: 'worker', summary: 'run a worker over queues in priority order (queue:work)', load: async () => import('./worker.js')},
	{name: 'workers', summary: 'every live worker on every host; pause/resume/stop them through Redis', load: async () => import('./workers.js')},
	{name: 'scheduler', summary: 'keep the configured schedules in Redis, with a heartbeat (schedule:run loop)', load: async () => import('./scheduler.js')},
	{name: 'schedule', summary: 'schedule list | run <id> | sync (schedule:list, schedule:test)', load: async () => import('./schedule.js')},
	{name: 'supervise', summary: 'run the workers and scheduler as supervised children (no systemd)', load: async () => import('./supervise.js')},
	{name: 'services', summary: 'the worker and scheduler processes; start/stop/restart them (systemctl)', load: async () => import('./services.js')},
	{name: 'logs', summary: 'process logs; -f to follow; --job q/id for the lines around a job (journalctl)', load: async () => import('./logs.js')},
	{name: 'systemd', summary: 'print or install the systemd unit files for this install', load: async () => import('./systemd.js')},
	{name: 'demo', summary: 'a private Redis, the seed workers, the scheduler and SACCOS-like traffic, live', load: async () => import('./demo.js')},
	{name: 'doctor', summary: 'check Redis version, eviction policy, memory headroom, persistence, config', load: async () => import('./doctor.js')},
];

export const findCommand = (name: string): CommandEntry | undefined => commands.find(command => command.name === name);
