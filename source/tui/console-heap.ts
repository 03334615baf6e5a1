/**
 * Keeps the console's V8 heap small (docs/ARCHITECTURE.md, "The console's
 * memory"): called by the `console` and `demo` commands before the console's
 * modules load.
 *
 * Two settings of V8's garbage collector, both read by V8 at the moment they
 * apply, so setting them after start-up takes effect:
 *
 * - `--semi-space-growth-factor=1`: V8 doubles the young generation (two
 *   semi-spaces, 1 MiB each at start, up to 16 MiB each on a 64-bit Node 20)
 *   whenever more than its size has survived scavenges since it last grew,
 *   and gives the memory back only in a memory-reducing GC. Loading Ink and
 *   React grew it to 2 × 16 MiB within a second, and there it stayed. With
 *   the factor at 1 it keeps the size it has now.
 * - `--heap-growing-percent=20`: after a full GC, V8 lets the old generation
 *   grow by a factor it picks from its GC and allocation speeds (up to 4×)
 *   before the next one. With small semi-spaces, what a refresh builds lives
 *   through two scavenges and is promoted, so the old generation filled with
 *   garbage up to ~2× the live heap between full GCs. 20 % (at least V8's
 *   minimum step of a few MiB) collects it sooner.
 *
 * Measured at 50 queues (bench/console-terminal.js, bench/README.md): RSS
 * 114–123 MiB without them, 87 MiB with both (console-tier.ts on in both).
 * In 40 s windows of steady state their CPU cost is within the noise (17–21 ms
 * a second, against 18–23); in the bench's windows 0–6.5 ms a refresh more,
 * within its spread (before console-tier.ts, with TurboFan compiling through
 * those windows, up to ~10 ms).
 * `--max-semi-space-size` would say the first at start-up only, and the
 * console is a command of the same binary as the CLI and the workers, which
 * keep V8's defaults. A semi-space or heap-growing flag set on the command
 * line or in NODE_OPTIONS is the operator's choice and turns this off, as does
 * a V8 outside the versions known to have both flags (where setting them
 * would print a warning).
 */
import v8 from 'node:v8';

/** V8 majors that read both flags when they apply (Node 18–23). */
const KNOWN_V8 = /^1[0-3]\./;
export const CONSOLE_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'] as const;

/** The V8 flags the operator gave this process: node's command line and NODE_OPTIONS. */
export const operatorV8Flags = (): string => `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;

export function keepConsoleHeapSmall(versions: NodeJS.ProcessVersions = process.versions, chosen = operatorV8Flags()): boolean {
	if (!KNOWN_V8.test(versions.v8) || /semi[-_]space|heap[-_]growing/.test(chosen)) return false;
	for (const flag of CONSOLE_HEAP_FLAGS) v8.setFlagsFromString(flag);
	return true;
}
