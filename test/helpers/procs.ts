/** The process table from /proc, for tests that check nothing is left behind. */
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';

export type Proc = {pid: number; ppid: number; pgid: number; state: string; start: string; cmdline: string[]; environ: string[]; cwd: string};

/** Every process visible in /proc (those that vanish while reading are skipped). */
export function processes(): Proc[] {
	const found: Proc[] = [];
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			let environ: string[] = [];
			let cwd = '';
			try {
				environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
				cwd = readlinkSync(`/proc/${entry}/cwd`);
			} catch {
				// not ours to read
			}
			found.push({
				pid: Number(entry),
				ppid: Number(fields[1]),
				pgid: Number(fields[2]),
				state: fields[0]!,
				start: fields[19]!,
				cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean),
				environ,
				cwd,
			});
		} catch {
			// exited meanwhile
		}
	}
	return found;
}
