/**
 * The whole-queue actions both the queues and the jobs view offer (R, F):
 * the typed confirmation, then the bounded-batch action with its progress in
 * the flash line ("retrying emails: 12,000 of 50,000 (24%)"), then its outcome.
 */
import {formatProgress} from '../present/format.js';
import {formatCount} from '../present/job-rows.js';
import type {Ui} from './ui-context.js';

type Progress = {done: number; total: number};

const progressLine = (verb: string, queue: string) => (progress: Progress) => formatProgress(`${verb} ${queue}`, progress);

const actions = {
	retry: {ask: 'Retry', doing: 'retrying', done: 'retried', run: (ui: Ui, queue: string, onProgress: (progress: Progress) => void) => ui.api.retryAll(queue, onProgress)},
	flush: {ask: 'Delete', doing: 'deleting the failed jobs of', done: 'deleted', run: (ui: Ui, queue: string, onProgress: (progress: Progress) => void) => ui.api.flushFailed(queue, onProgress)},
};

function confirmWholeQueue(kind: keyof typeof actions, ui: Ui, queue: string, failed: number | undefined, after: () => unknown): void {
	const action = actions[kind];
	const show = progressLine(action.doing, queue);
	ui.confirm({
		summary: `${action.ask} all ${failed === undefined ? 'the' : formatCount(failed)} failed jobs of "${queue}"?`,
		expected: queue,
		onConfirm: () => ui.act(async () => action.run(ui, queue, progress => ui.flash(show(progress))), result => `${action.done} ${formatCount(result.count)} failed jobs of ${queue}${differenceNote(failed, result.count)}`, after, `${action.doing} ${queue}`),
	});
}

/** Why the count done is not the count asked about: jobs failed (or were retried elsewhere) in between. */
function differenceNote(asked: number | undefined, done: number): string {
	if (asked === undefined || asked === done) return '';
	return done > asked ? ` (${formatCount(asked)} when you confirmed: ${formatCount(done - asked)} failed since)` : ` (${formatCount(asked)} when you confirmed: ${formatCount(asked - done)} gone since, retried or deleted elsewhere)`;
}

/** R: every failed job of `queue` back to waiting, after its name is typed. */
export const confirmRetryAll = (ui: Ui, queue: string, failed: number | undefined, after: () => unknown): void => confirmWholeQueue('retry', ui, queue, failed, after);

/** F: every failed job of `queue` deleted, after its name is typed. */
export const confirmFlush = (ui: Ui, queue: string, failed: number | undefined, after: () => unknown): void => confirmWholeQueue('flush', ui, queue, failed, after);

/** p: pause or resume `queue`; u undoes it (the same toggle the other way). */
export function togglePause(ui: Ui, queue: string, paused: boolean, after: () => unknown): void {
	ui.act(async () => ui.api.setPaused(queue, !paused), () => `${paused ? 'resumed' : 'paused'} ${queue}`, after, `${paused ? 'resuming' : 'pausing'} ${queue}`, {
		label: `${paused ? 'pause' : 'resume'} ${queue}`,
		run: () => togglePause(ui, queue, !paused, after),
	});
}
