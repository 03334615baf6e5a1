/**
 * The operator's pager ($PAGER, else less) on a file, for a job too large to
 * read in the console. It runs through the shell, as git runs it, so a PAGER
 * with options ("less -S") works; the file is passed as an argument, never
 * pasted into the command line.
 */
import {spawn} from 'node:child_process';
import {UserError} from '../errors.js';

/** The pager command: $PAGER, else less. */
export const pagerCommand = (env: NodeJS.ProcessEnv = process.env): string => env['PAGER']?.trim() || 'less';

/**
 * Runs the pager on `file` with the terminal (stdio inherited) and resolves
 * once it exits. `signal` ends it (SIGTERM): the console is being stopped.
 * A pager that is not installed (the shell's 127) is a UserError.
 */
export async function runPager(file: string, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<void> {
	// exec: the pager replaces the shell, so it is the child a SIGTERM reaches.
	const child = spawn('/bin/sh', ['-c', `exec ${pagerCommand(env)} "$1"`, 'saccos-queue-pager', file], {stdio: 'inherit', env});
	const stop = () => child.kill('SIGTERM');
	signal?.addEventListener('abort', stop, {once: true});
	try {
		const code = await new Promise<number | null>((resolve, reject) => {
			child.once('error', reject);
			child.once('close', resolve);
		});
		if (code === 127) throw new UserError('usage', `the pager "${pagerCommand(env)}" was not found`, 'install less, or set PAGER to a pager that is installed (e.g. PAGER=more)');
	} finally {
		signal?.removeEventListener('abort', stop);
	}
}
