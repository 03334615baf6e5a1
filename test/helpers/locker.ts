/**
 * A process that takes pid locks when told, for test/process/pid-lock.test.ts.
 * Line protocol on stdin/stdout:
 *
 *   → go <file> <epoch ms>   at that instant (spinning, not a timer, so that
 *                            all lockers start together), takeLock(file)
 *   ← took | held <pid> | error <message>
 *   → release <file>         releaseLock(file)
 *   ← released
 *
 * It prints `ready` once it can take orders, and exits when stdin ends.
 */
import {createInterface} from 'node:readline';
import {releaseLock, takeLock} from '../../source/process/pid-lock.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

createInterface({input: process.stdin}).on('line', line => {
	const [order, file, at] = line.split(' ');
	if (order === 'go') {
		while (Date.now() < Number(at)) {
			// spin until the agreed instant
		}
		takeLock(file!).then(
			outcome => say(outcome.taken ? 'took' : `held ${outcome.holder}`),
			(error: unknown) => say(`error ${(error as Error).message}`),
		);
	} else if (order === 'release') {
		releaseLock(file!);
		say('released');
	}
});
say('ready');
