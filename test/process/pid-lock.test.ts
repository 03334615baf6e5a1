/**
 * supervisor.lock (source/process/pid-lock.ts) with real processes: several
 * lockers let go at the same instant over a dead holder's lock, round after
 * round, and exactly one takes it each time (the others name it); a zombie
 * holder (exited, never reaped by its parent, which kill 0 still finds)
 * counts as gone.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {createInterface} from 'node:readline';
import {fileURLToPath} from 'node:url';
import {after, before, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {waitFor, within} from '../helpers/keyspace.js';
import {processAlive, releaseLock, takeLock} from '../../source/process/pid-lock.js';

const lockerScript = fileURLToPath(new URL('../helpers/locker.ts', import.meta.url));

type Locker = {child: ChildProcess; pid: number; next(): Promise<string>; send(line: string): void};

function startLocker(): Locker {
	const child = spawn(process.execPath, ['--import', 'tsx', lockerScript], {stdio: ['pipe', 'pipe', 'inherit']});
	const lines: string[] = [];
	const waiting: Array<(line: string) => void> = [];
	createInterface({input: child.stdout!}).on('line', line => {
		const waiter = waiting.shift();
		if (waiter) waiter(line);
		else lines.push(line);
	});
	return {
		child,
		pid: child.pid!,
		next: async () => (lines.length > 0 ? lines.shift()! : new Promise<string>(resolve => waiting.push(resolve))),
		send: line => child.stdin!.write(`${line}\n`),
	};
}

/** The pid of a process that has exited and been reaped: nobody has it now. */
async function deadPid(): Promise<number> {
	const child = spawn('true');
	await new Promise(resolve => child.once('exit', resolve));
	assert.ok(!processAlive(child.pid!));
	return child.pid!;
}

/** A process's state letter in /proc (Z: a zombie), or undefined when it is gone. */
function stateOf(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.charAt(stat.lastIndexOf(')') + 2);
	} catch {
		return undefined;
	}
}

describe('supervisor.lock', () => {
	const dir = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-lock-'));
	const lockers: Locker[] = [];
	const LOCKERS = 6;
	const ROUNDS = 60;

	before(async () => {
		for (let index = 0; index < LOCKERS; index++) lockers.push(startLocker());
		await within(Promise.all(lockers.map(async locker => assert.equal(await locker.next(), 'ready'))), 60_000, 'the lockers to start');
	});

	after(() => {
		for (const locker of lockers) locker.child.kill('SIGKILL');
		rmSync(dir, {recursive: true, force: true});
	});

	it(`${LOCKERS} lockers at the same instant over a dead holder's lock, ${ROUNDS} times: exactly one takes it each time`, async () => {
		const dead = await deadPid();
		for (let round = 0; round < ROUNDS; round++) {
			const file = path.join(dir, `round-${round}.lock`);
			// As a crashed supervisor leaves it (every other round: as an older version's crash could, empty).
			writeFileSync(file, round % 2 === 0 ? String(dead) : '', {mode: 0o600});
			assert.ok(!processAlive(dead), `pid ${dead} came back`);
			const at = Date.now() + 40;
			for (const locker of lockers) locker.send(`go ${file} ${at}`);
			const answers = await within(Promise.all(lockers.map(async locker => locker.next())), 30_000, `round ${round}'s answers`);
			const winners = lockers.filter((_, index) => answers[index] === 'took');
			assert.equal(winners.length, 1, `round ${round}: ${answers.join(', ')}`);
			const winner = winners[0]!;
			assert.equal(readFileSync(file, 'utf8'), String(winner.pid), `round ${round}: the lock holds the winner's pid`);
			for (const [index, answer] of answers.entries()) {
				if (lockers[index] !== winner) assert.equal(answer, `held ${winner.pid}`, `round ${round}: ${answers.join(', ')}`);
			}
			winner.send(`release ${file}`);
			assert.equal(await winner.next(), 'released');
			// Nothing left behind: no private pid file, no takeover claim, no lock.
			assert.deepEqual(readdirSync(dir), [], `round ${round}`);
		}
	});

	it('a zombie holder (exited, not reaped by its parent) counts as gone: the lock is taken over', async () => {
		// The shell starts a short sleep in the background, then becomes `sleep 600`, which never waits for
		// it: once the short one ends it stays a zombie. (Ending before the exec, the shell could reap it.)
		const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 600'], {stdio: ['ignore', 'pipe', 'inherit']});
		try {
			const zombie = Number(await new Promise<string>(resolve => createInterface({input: parent.stdout!}).once('line', resolve)));
			await waitFor(() => stateOf(zombie) === 'Z', `pid ${zombie} to be a zombie`);
			// kill 0 still finds it: what the lock trusted before.
			assert.doesNotThrow(() => process.kill(zombie, 0));
			assert.equal(processAlive(zombie), false);
			assert.equal(processAlive(parent.pid!), true, 'its parent runs');
			const file = path.join(dir, 'zombie.lock');
			writeFileSync(file, String(zombie), {mode: 0o600});
			assert.deepEqual(await takeLock(file), {taken: true});
			assert.equal(readFileSync(file, 'utf8'), String(process.pid));
			// A live holder is not taken over.
			writeFileSync(file, String(parent.pid), {mode: 0o600});
			assert.deepEqual(await takeLock(file), {taken: false, holder: parent.pid});
			releaseLock(file);
			assert.equal(readFileSync(file, 'utf8'), String(parent.pid), 'not ours to release');
			rmSync(file);
		} finally {
			parent.kill('SIGKILL');
		}
	});
});
