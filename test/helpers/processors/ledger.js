// The fault suite's processor: its one side effect is a line appended to the
// ledger file (SACCOS_TEST_LEDGER), written with a single write(2) on an
// O_APPEND descriptor, so lines from many processes never interleave and a
// SIGKILL can only cut between two whole lines. Then it waits data.ms (the
// job's "work" after its effect, so a kill in that window re-runs a job whose
// effect already happened: a duplicate the suite counts).
//
// A line: "<key> <queue>/<id> <attempt> <pid>", key = data.k (unique per job,
// so ids reused after a lost write cannot merge two jobs).
import {openSync, writeSync} from 'node:fs';

let fd;

export default async function ledger(job) {
	const file = process.env.SACCOS_TEST_LEDGER;
	if (!file) throw new Error('ledger processor: SACCOS_TEST_LEDGER is not set');
	fd ??= openSync(file, 'a');
	const data = job.data ?? {};
	writeSync(fd, `${data.k ?? '-'} ${job.queue}/${job.id} ${job.attemptsMade + 1} ${process.pid}\n`);
	if (data.ms) await new Promise(resolve => setTimeout(resolve, data.ms));
	return null;
}
