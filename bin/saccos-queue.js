#!/usr/bin/env node
// Thin launcher of the built CLI (`npm ci` builds dist/ through the prepare script).
import {main} from '../dist/cli.js';

// `saccos-queue status | head -3`: a reader that goes away is not an error.
// Under the local supervisor (SACCOS_QUEUE_SUPERVISED), the pipe closing means the
// supervisor is gone: a worker notices that itself and stops gracefully, without its log.
const gone = error => error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED';
process.stdout.on('error', error => {
	// The terminal hung up (an SSH session dropped): SIGHUP comes with it and ends the process
	// its own way (the console and the demo stop what they started); the lost bytes are no error.
	if (error.code === 'EIO') return;
	if (!gone(error)) throw error;
	if (!process.env.SACCOS_QUEUE_SUPERVISED) process.exit(process.exitCode ?? 0);
});
process.stderr.on('error', error => {
	if (!gone(error) || !process.env.SACCOS_QUEUE_SUPERVISED) throw error;
});

const code = await main(process.argv.slice(2));
// Exit once stdout has taken everything: a cron job must never hang on a
// leftover timer, and a piped --json document must arrive whole.
process.stdout.write('', () => process.exit(code));
// …and exit anyway if stdout never drains (a reader that stopped reading): a worker's
// stop must stay bounded, under systemd's TimeoutStopSec.
setTimeout(() => process.exit(code), 3000);
