/**
 * A lock file that holds its owner's pid, for one local supervisor per state
 * folder. It is never seen empty or half-written: the pid is written to a
 * private file first, which link(2) puts in place, failing if the name is
 * taken. A lock whose holder is gone (a crash, SIGKILL) is taken over; of
 * several processes taking it over at the same instant, exactly one wins.
 */
import {randomBytes} from 'node:crypto';
import {linkSync, readFileSync, rmSync, writeFileSync} from 'node:fs';

/**
 * Whether a process runs with that pid. A zombie (it has exited, its parent
 * has not reaped it yet: a parent that never waits, or an init that reaps
 * late) is not running, though kill 0 still finds it.
 */
export function processAlive(pid: number): boolean {
	if (!Number.isInteger(pid) || pid <= 0) return false;
	try {
		process.kill(pid, 0);
	} catch (error) {
		// EPERM: it runs, as another user.
		if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
	}
	try {
		// Linux: the state follows the command name, which may itself hold ') '.
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const state = stat.charAt(stat.lastIndexOf(')') + 2);
		return state !== 'Z' && state !== 'X';
	} catch {
		// No /proc (not Linux), or not ours to read (hidepid): what kill 0 said.
		return true;
	}
}

export type LockOutcome = {taken: true} | {taken: false; holder: number};

type Attempt = {taken: true} | {taken: false; holder: number; settled: boolean};

const TAKEOVER = '.takeover';

const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** The lock's text, or undefined when there is none. */
function readHolder(file: string): string | undefined {
	try {
		return readFileSync(file, 'utf8');
	} catch (error) {
		if (errno(error) === 'ENOENT') return undefined;
		throw error;
	}
}

const pidOf = (text: string): number => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : 0);

/**
 * One try at linking `mine` (a file that holds our pid) as `file`. A lock
 * whose holder is gone is removed, but only under a claim on removing it —
 * `file.takeover`, taken the same way, so one level down a crashed claimer
 * is taken over too. Without the claim, a starter that read the dead pid a
 * moment ago could remove the lock that another one has just put in place,
 * and both would run.
 */
function attempt(file: string, mine: string, pid: number): Attempt {
	for (;;) {
		try {
			linkSync(mine, file);
			return {taken: true};
		} catch (error) {
			if (errno(error) !== 'EEXIST') throw error;
		}
		const held = readHolder(file);
		if (held === undefined) continue; // released meanwhile
		const holder = pidOf(held);
		// Our own pid in a lock we have not taken: left by an earlier process that had it.
		if (holder !== pid && processAlive(holder)) return {taken: false, holder, settled: true};
		const claim = attempt(`${file}${TAKEOVER}`, mine, pid);
		// Someone alive is taking the dead one's lock over this instant: ask again once it has.
		if (!claim.taken) return {taken: false, holder: claim.holder, settled: false};
		try {
			// Under the claim nobody else removes `file`, and link never replaces it: if it still
			// holds what we read (and that pid has not come back to life), it is the dead one's.
			if (readHolder(file) === held && (holder === pid || !processAlive(holder))) rmSync(file, {force: true});
		} finally {
			rmSync(`${file}${TAKEOVER}`, {force: true});
		}
	}
}

/**
 * Takes `file` for this process. Refused (with the holder's pid) while a
 * live process holds it; waits up to `waitMs` while another is taking a
 * dead holder's lock over, so that the answer names whoever won.
 */
export async function takeLock(file: string, options: {waitMs?: number} = {}): Promise<LockOutcome> {
	const pid = process.pid;
	// Beside the lock: link(2) cannot cross file systems.
	const mine = `${file}.${pid}.${randomBytes(6).toString('hex')}`;
	try {
		writeFileSync(mine, String(pid), {flag: 'wx', mode: 0o600});
	} catch (error) {
		// A full disk creates the file and fails the write: leave no empty stray beside the lock.
		rmSync(mine, {force: true});
		throw error;
	}
	try {
		const deadline = Date.now() + (options.waitMs ?? 5000);
		for (;;) {
			const outcome = attempt(file, mine, pid);
			if (outcome.taken) return outcome;
			if (outcome.settled || Date.now() > deadline) return {taken: false, holder: outcome.holder};
			await new Promise(resolve => setTimeout(resolve, 10));
		}
	} finally {
		// The lock, when taken, is another name of the same file: it stays.
		rmSync(mine, {force: true});
	}
}

/** Gives `file` up, if this process holds it (only its holder removes a live holder's lock). */
export function releaseLock(file: string): void {
	if (readHolder(file) === String(process.pid)) rmSync(file, {force: true});
}
