/**
 * A real small filesystem for disk-fault tests: a tmpfs of a few KB or MB,
 * filled to leave N bytes free, remounted read-only, unmounted after the
 * test. Mounting needs root (or CAP_SYS_ADMIN); where it is not allowed,
 * `smallFsUnavailable()` says why, for the test's skip reason.
 */
import {spawnSync} from 'node:child_process';
import {closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {TestContext} from 'node:test';

export type SmallFs = {
	dir: string;
	/** Bytes free for a file's data (tmpfs counts whole pages of 4 KB). */
	free(): number;
	/** Writes a filler file leaving `bytes` free (rounded down to a page); 0 fills it completely. */
	fill(bytes?: number): void;
	/** Removes the filler: the space comes back. */
	unfill(): void;
	/** Remounts it read-only (refused while a file on it is open for writing). */
	readOnly(): void;
	writable(): void;
};

const run = (command: string, args: string[]): {ok: boolean; said: string} => {
	const result = spawnSync(command, args, {encoding: 'utf8'});
	return {ok: result.status === 0, said: `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim()};
};

let unavailable: string | undefined | null = null;

/** Why no tmpfs can be mounted here (undefined: it can). Tried once. */
export function smallFsUnavailable(): string | undefined {
	if (unavailable !== null) return unavailable;
	if (process.getuid?.() !== 0) {
		unavailable = 'mounting a small tmpfs needs root; run the tests as root (e.g. in the CI container) to cover full and read-only disks';
		return unavailable;
	}
	const dir = mkdtempSync(path.join(os.tmpdir(), 'saccos-fs-probe-'));
	const mounted = run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
	if (mounted.ok) run('umount', [dir]);
	rmSync(dir, {recursive: true, force: true});
	unavailable = mounted.ok ? undefined : `mount -t tmpfs is not permitted here (${mounted.said || 'no reason given'})`;
	return unavailable;
}

/**
 * Mounts a tmpfs of `bytes` for this test (at most `inodes` files and folders, its root
 * included, when given); unmounted (lazily if still busy) and removed after it, pass or fail.
 */
export function mountSmallFs(t: TestContext, bytes: number, inodes?: number): SmallFs {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'saccos-fs-'));
	const mounted = run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755${inodes ? `,nr_inodes=${inodes}` : ''}`, 'tmpfs', dir]);
	if (!mounted.ok) throw new Error(`mount -t tmpfs ${dir}: ${mounted.said}`);
	t.after(() => {
		if (!run('umount', [dir]).ok) run('umount', ['-l', dir]);
		rmSync(dir, {recursive: true, force: true});
	});
	const filler = path.join(dir, '.filler');
	const free = () => {
		const stats = statfsSync(dir);
		return stats.bavail * stats.bsize;
	};
	return {
		dir,
		free,
		fill(leave = 0) {
			const fd = openSync(filler, 'a');
			try {
				const chunk = Buffer.alloc(4096, 0x2e);
				// Page by page until only `leave` is free, or the disk says it is full.
				for (;;) {
					if (free() - chunk.length < leave) break;
					try {
						writeSync(fd, chunk);
					} catch (error) {
						if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
						throw error;
					}
				}
			} finally {
				closeSync(fd);
			}
		},
		unfill() {
			rmSync(filler, {force: true});
		},
		readOnly() {
			const result = run('mount', ['-o', 'remount,ro', dir]);
			if (!result.ok) throw new Error(`remount ${dir} read-only: ${result.said}`);
		},
		writable() {
			const result = run('mount', ['-o', 'remount,rw', dir]);
			if (!result.ok) throw new Error(`remount ${dir} read-write: ${result.said}`);
		},
	};
}
