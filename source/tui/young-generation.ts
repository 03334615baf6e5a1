/**
 * Keeps V8's young generation at the size it has when the console starts
 * (docs/ARCHITECTURE.md, "The console's memory"): called by the `console`
 * and `demo` commands before the console's modules load.
 *
 * V8 doubles the young generation (two semi-spaces, 1 MiB each at start, up
 * to 16 MiB each on a 64-bit Node 20) whenever more than its size has
 * survived scavenges since it last grew, and gives the memory back only in a
 * memory-reducing GC. Loading Ink and React, and every later refresh, lets
 * enough survive that the console sat at 2 × 16 MiB of young generation —
 * RSS 124–129 MiB at 50 queues, where the same console with semi-spaces held
 * at 1 MiB settles at 92–98 MiB, for about 2 ms more of scavenging a second
 * (bench/console-terminal.js; bench/README.md has the runs).
 *
 * `--semi-space-growth-factor` is the factor V8 multiplies the young
 * generation by each time it grows, read at that moment; 1 means it keeps its
 * size. `--max-semi-space-size` would say the same, but V8 reads it only when
 * the process starts, and the console is a command of the same binary as the
 * CLI and the workers, which keep V8's defaults. A flag set on the command
 * line or in NODE_OPTIONS that concerns the semi-spaces is the operator's
 * choice and is left alone, as is a V8 outside the versions known to have the
 * flag (where setting it would print a warning).
 */
import v8 from 'node:v8';

/** V8 majors that read `--semi-space-growth-factor` when the young generation grows (Node 18–23). */
const KNOWN_V8 = /^1[0-3]\./;

export function keepYoungGenerationSmall(versions: NodeJS.ProcessVersions = process.versions, chosen = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`): boolean {
	if (!KNOWN_V8.test(versions.v8) || /semi[-_]space/.test(chosen)) return false;
	v8.setFlagsFromString('--semi-space-growth-factor=1');
	return true;
}
