/**
 * The whole-queue actions both the queues and the jobs view offer (R, F):
 * the typed confirmation, then the bounded-batch action with its progress in
 * the flash line ("retrying emails: 12,000 of 50,000 (24%)"), then its outcome.
 */
import {formatCount} from '../present/job-rows.js';
import type {Ui} from './ui-context.js';

type Progress = {done: number; total: number};

const progressLine = (verb: string, queue: string) => ({done, total}: Progress) => `${verb} ${queue}: ${formatCount(done)} of ${formatCount(total)} (${total > 0 ? Math.floor((done / total) * 100) : 100}%)`;

/** R: every failed job of `queue` back to waiting, after its name is typed. */
export function confirmRetryAll(ui: Ui, queue: string, failed: number | undefined, after: () => void): void {
	const show = progressLine('retrying', queue);
	ui.confirm({
		summary: `Retry all ${failed === undefined ? 'the' : formatCount(failed)} failed jobs of "${queue}"?`,
		expected: queue,
		onConfirm: () => ui.act(async () => ui.api.retryAll(queue, progress => ui.flash(show(progress))), result => `retried ${formatCount(result.count)} failed jobs of ${queue}`, after),
	});
}

/** F: every failed job of `queue` deleted, after its name is typed. */
export function confirmFlush(ui: Ui, queue: string, failed: number | undefined, after: () => void): void {
	const show = progressLine('deleting failed jobs of', queue);
	ui.confirm({
		summary: `Delete all ${failed === undefined ? 'the' : formatCount(failed)} failed jobs of "${queue}"?`,
		expected: queue,
		onConfirm: () => ui.act(async () => ui.api.flushFailed(queue, progress => ui.flash(show(progress))), result => `deleted ${formatCount(result.count)} failed jobs of ${queue}`, after),
	});
}
