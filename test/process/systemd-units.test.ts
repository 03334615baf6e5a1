/**
 * The unit files in systemd/: `systemd-analyze verify` (instantiated, no
 * output at all: warnings fail), `systemd-analyze security --offline=yes`
 * exposure, the settings the issue requires, and `saccos-queue systemd
 * install`'s rendered copies. systemd-analyze comes with Debian's `systemd`
 * package; the tests skip (saying so) only when it is missing.
 */
import {spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {describeResult, root, runCli} from '../helpers/cli.js';
import {mountSmallFs, smallFsUnavailable} from '../helpers/small-fs.js';

const unitsDir = path.join(root, 'systemd');
const analyze = spawnSync('systemd-analyze', ['--version'], {encoding: 'utf8'});
const NO_ANALYZE = analyze.error || analyze.status !== 0
	? 'systemd-analyze is not installed (Debian/Ubuntu: apt-get install systemd); .ci/run should install it'
	: undefined;
/** The worker's own shutdown deadline when ExecStart does not pass --stop-timeout (source/commands/worker.ts). */
const WORKER_DEFAULT_STOP_TIMEOUT = 25;
/** Instances of the template that the issue names. */
const INSTANCES = ['high', 'high-2'];

type Ini = {text: string; sections: Map<string, Array<[string, string]>>};

function parseUnit(text: string): Ini {
	const sections = new Map<string, Array<[string, string]>>();
	let current = '';
	for (const raw of text.split('\n')) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
		const header = /^\[(.+)\]$/.exec(line);
		if (header) {
			current = header[1]!;
			sections.set(current, sections.get(current) ?? []);
			continue;
		}
		const eq = line.indexOf('=');
		sections.get(current)?.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
	}
	return {text, sections};
}

const values = (unit: Ini, section: string, key: string): string[] => (unit.sections.get(section) ?? []).filter(([name]) => name === key).map(([, value]) => value);
const value = (unit: Ini, section: string, key: string): string | undefined => values(unit, section, key).at(-1);

/** systemd time span ("40", "40s", "1min 30s", "500ms") → seconds. */
function seconds(span: string): number {
	const units: Record<string, number> = {us: 1e-6, ms: 1e-3, s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600};
	if (/^\d+(\.\d+)?$/.test(span)) return Number(span);
	let total = 0;
	for (const match of span.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)) {
		const factor = units[match[2]!];
		assert.ok(factor !== undefined, `unknown time unit in "${span}"`);
		total += Number(match[1]) * factor;
	}
	return total;
}

/** A copy of the units (plus template instances as files) in a fresh folder. */
function stage(from: string, into: string): string[] {
	const names: string[] = [];
	for (const name of readdirSync(from).filter(file => /\.(service|target)$/.test(file))) {
		copyFileSync(path.join(from, name), path.join(into, name));
		names.push(name);
		if (name.endsWith('@.service')) {
			for (const instance of INSTANCES) {
				const instanceName = name.replace('@.service', `@${instance}.service`);
				copyFileSync(path.join(from, name), path.join(into, instanceName));
				names.push(instanceName);
			}
		}
	}
	return names.sort();
}

function verify(dir: string, name: string): {code: number | null; output: string} {
	const result = spawnSync('systemd-analyze', ['verify', path.join(dir, name)], {encoding: 'utf8', env: {...process.env, SYSTEMD_LOG_COLOR: '0', SYSTEMD_PAGER: ''}});
	return {code: result.status, output: `${result.stdout}${result.stderr}`};
}

function exposure(dir: string, name: string): number {
	const result = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(dir, name)], {encoding: 'utf8', env: {...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: ''}});
	const match = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(result.stdout);
	assert.ok(match, `no "Overall exposure level" line (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
	return Number(match[1]);
}

describe('systemd units', () => {
	const scratch = mkdtempSync(path.join(process.env['SACCOS_TEST_TMPDIR'] || os.tmpdir(), 'saccos-units-'));
	after(() => rmSync(scratch, {recursive: true, force: true}));
	const shipped = readdirSync(unitsDir).filter(file => /\.(service|target)$/.test(file)).sort();
	const services = shipped.filter(name => name.endsWith('.service'));
	const workers = services.filter(name => name.startsWith('saccos-queue-worker'));

	it('ships the template, the all-queues worker, the scheduler, the exporter and the target', () => {
		assert.deepEqual(shipped, ['saccos-queue-exporter.service', 'saccos-queue-worker.service', 'saccos-queue-worker@.service', 'saccos-queue.target', 'saccos-scheduler.service']);
	});

	describe('systemd-analyze verify (templates instantiated): no output at all', {skip: NO_ANALYZE}, () => {
		const dir = mkdtempSync(path.join(scratch, 'committed-'));
		const names = stage(unitsDir, dir);
		// The committed units run /usr/bin/node, and verify checks that ExecStart's binary exists:
		// where there is none (a CI node elsewhere), only that path is swapped for this node.
		if (!existsSync('/usr/bin/node')) {
			for (const name of names) writeFileSync(path.join(dir, name), readFileSync(path.join(dir, name), 'utf8').replaceAll('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
		}
		for (const name of names) {
			it(name, () => {
				const {code, output} = verify(dir, name);
				assert.equal(output, '', `systemd-analyze verify ${name} printed:\n${output}`);
				assert.equal(code, 0);
			});
		}
		it('instantiates the template as saccos-queue-worker@high and @high-2', () => {
			assert.ok(names.includes('saccos-queue-worker@high.service') && names.includes('saccos-queue-worker@high-2.service'), names.join(', '));
		});
	});

	describe('systemd-analyze security --offline=yes', {skip: NO_ANALYZE}, () => {
		const dir = mkdtempSync(path.join(scratch, 'security-'));
		stage(unitsDir, dir);
		for (const name of ['saccos-queue-worker@high.service', 'saccos-queue-worker.service', 'saccos-scheduler.service', 'saccos-queue-exporter.service']) {
			it(`${name} is rated 2.5 or lower`, () => {
				const level = exposure(dir, name);
				assert.ok(level <= 2.5, `${name}: overall exposure ${level} > 2.5`);
			});
		}
	});

	describe('each unit opens with a usage comment', () => {
		for (const name of shipped) {
			it(name, () => {
				const text = readFileSync(path.join(unitsDir, name), 'utf8');
				const leading = text.split('\n').slice(0, text.split('\n').findIndex(line => !line.startsWith('#')));
				assert.ok(leading.length >= 3, `${name} does not open with a comment block`);
				assert.match(leading[0]!, new RegExp(`^# ${name.replace(/[.@]/g, '\\$&')}`), 'the first line names the unit');
				assert.ok(leading.some(line => /^#\s+systemctl (enable|start|restart)/.test(line)), `${name}: no "systemctl …" usage line in the opening comment:\n${leading.join('\n')}`);
			});
		}
	});

	describe('required settings', () => {
		for (const name of services) {
			it(name, () => {
				const unit = parseUnit(readFileSync(path.join(unitsDir, name), 'utf8'));
				const problems: string[] = [];
				const expect = (ok: boolean, what: string) => {
					if (!ok) problems.push(what);
				};
				expect(value(unit, 'Service', 'Restart') === 'always', 'Restart=always');
				expect(value(unit, 'Service', 'RestartSec') !== undefined && seconds(value(unit, 'Service', 'RestartSec')!) > 0, 'RestartSec= (non-zero)');
				expect(value(unit, 'Unit', 'StartLimitIntervalSec') !== undefined, 'StartLimitIntervalSec= in [Unit]');
				expect(value(unit, 'Unit', 'StartLimitBurst') !== undefined, 'StartLimitBurst= in [Unit]');
				expect(value(unit, 'Service', 'StartLimitIntervalSec') === undefined && value(unit, 'Service', 'StartLimitBurst') === undefined, 'no StartLimit… in [Service] (ignored there by current systemd)');
				expect(value(unit, 'Service', 'MemoryMax') !== undefined, 'MemoryMax=');
				expect(!/^\s*MemoryLimit=/m.test(unit.text), 'no deprecated MemoryLimit=');
				expect(value(unit, 'Service', 'KillMode') === 'mixed', 'KillMode=mixed');
				expect(value(unit, 'Service', 'SyslogIdentifier') !== undefined, 'SyslogIdentifier=');
				if (name.includes('@.service')) expect(value(unit, 'Service', 'SyslogIdentifier')?.includes('%i') === true, 'SyslogIdentifier= per instance (%i)');
				expect(value(unit, 'Service', 'EnvironmentFile') !== undefined, 'EnvironmentFile=');
				const user = value(unit, 'Service', 'User');
				expect(user !== undefined && user !== '' && user !== 'root' && user !== '0', 'User= (a dedicated user, not root)');
				expect(value(unit, 'Service', 'NoNewPrivileges') === 'yes', 'NoNewPrivileges=yes');
				expect(value(unit, 'Service', 'ProtectSystem') === 'strict', 'ProtectSystem=strict');
				expect(['yes', 'read-only', 'tmpfs'].includes(value(unit, 'Service', 'ProtectHome') ?? ''), 'ProtectHome=');
				expect(value(unit, 'Service', 'PrivateTmp') === 'yes', 'PrivateTmp=yes');
				expect(values(unit, 'Service', 'CapabilityBoundingSet').length > 0 && values(unit, 'Service', 'CapabilityBoundingSet').at(-1) === '', 'CapabilityBoundingSet= (empty)');
				expect(values(unit, 'Service', 'SystemCallFilter').length > 0, 'SystemCallFilter=');
				expect(value(unit, 'Service', 'RestrictAddressFamilies') !== undefined, 'RestrictAddressFamilies=');
				expect(!/^\s*MemoryDenyWriteExecute\s*=\s*(yes|true|1|on)\s*$/m.test(unit.text), 'not MemoryDenyWriteExecute=yes (V8 needs W+X pages)');
				expect(value(unit, 'Service', 'TimeoutStopSec') !== undefined, 'TimeoutStopSec=');
				assert.deepEqual(problems, [], `${name} lacks: ${problems.join('; ')}`);
			});
		}
		for (const name of workers) {
			it(`${name}: TimeoutStopSec is longer than the worker's --stop-timeout`, () => {
				const unit = parseUnit(readFileSync(path.join(unitsDir, name), 'utf8'));
				const exec = value(unit, 'Service', 'ExecStart')!;
				assert.match(exec, / worker( |$)/, 'runs `saccos-queue worker`');
				const flag = / --stop-timeout[ =](\d+(?:\.\d+)?)/.exec(exec);
				const deadline = flag ? Number(flag[1]) : WORKER_DEFAULT_STOP_TIMEOUT;
				const timeout = seconds(value(unit, 'Service', 'TimeoutStopSec')!);
				assert.ok(timeout > deadline, `TimeoutStopSec ${timeout}s is not longer than the worker's --stop-timeout ${deadline}s`);
			});
		}
		it('the exporter listens on loopback only, on 9464, and runs nothing else', () => {
			const unit = parseUnit(readFileSync(path.join(unitsDir, 'saccos-queue-exporter.service'), 'utf8'));
			assert.match(value(unit, 'Service', 'ExecStart')!, / exporter --listen 127\.0\.0\.1:9464$/);
		});
		it('the template passes its instance to the worker (--instance %i)', () => {
			const unit = parseUnit(readFileSync(path.join(unitsDir, 'saccos-queue-worker@.service'), 'utf8'));
			assert.match(value(unit, 'Service', 'ExecStart')!, /--instance %i\b/);
		});
		it('the target groups the all-queues worker and the scheduler, and they are PartOf it', () => {
			const target = parseUnit(readFileSync(path.join(unitsDir, 'saccos-queue.target'), 'utf8'));
			const wants = (value(target, 'Unit', 'Wants') ?? '').split(/\s+/);
			assert.ok(wants.includes('saccos-queue-worker.service') && wants.includes('saccos-scheduler.service'), `Wants=${wants.join(' ')}`);
			for (const name of services) {
				const unit = parseUnit(readFileSync(path.join(unitsDir, name), 'utf8'));
				assert.equal(value(unit, 'Unit', 'PartOf'), 'saccos-queue.target', name);
				assert.equal(value(unit, 'Install', 'WantedBy'), 'saccos-queue.target', name);
			}
		});
	});

	describe('saccos-queue systemd install --dir … --user svc --install-dir /opt/x --unit-config /etc/x.json', () => {
		const dir = mkdtempSync(path.join(scratch, 'installed-'));
		let installed: Promise<void> | undefined;
		const install = async () => {
			installed ??= (async () => {
				const result = await runCli(['systemd', 'install', '--dir', dir, '--user', 'svc', '--install-dir', '/opt/x', '--unit-config', '/etc/x.json', '--node', process.execPath]);
				assert.equal(result.code, 0, describeResult(result));
				assert.match(result.stdout, /Wrote .*saccos-queue-worker@\.service/);
				assert.match(result.stdout, /systemctl daemon-reload/);
			})();
			await installed;
		};

		it('writes every unit, rendered for this install', async () => {
			await install();
			assert.deepEqual(readdirSync(dir).sort(), shipped);
			for (const name of shipped.filter(file => file.endsWith('.service'))) {
				const unit = parseUnit(readFileSync(path.join(dir, name), 'utf8'));
				assert.equal(value(unit, 'Service', 'User'), 'svc', name);
				assert.equal(value(unit, 'Service', 'Group'), 'svc', name);
				assert.equal(value(unit, 'Service', 'WorkingDirectory'), '/opt/x', name);
				assert.ok(value(unit, 'Service', 'ExecStart')!.startsWith(`${process.execPath} /opt/x/bin/saccos-queue.js `), `${name}: ExecStart=${value(unit, 'Service', 'ExecStart')}`);
				assert.match(values(unit, 'Service', 'Environment').join(' '), /(^| )SACCOS_QUEUE_CONFIG=\/etc\/x\.json( |$)/, name);
				assert.doesNotMatch(unit.text, /\/opt\/saccos-queue|\/etc\/saccos-queue\/config\.json|^User=saccos-queue$/m, `${name} still has a default path`);
			}
		});

		describe('the rendered units pass systemd-analyze verify too', {skip: NO_ANALYZE}, () => {
			for (const name of [...shipped, ...INSTANCES.map(instance => `saccos-queue-worker@${instance}.service`)].sort()) {
				it(name, async () => {
					await install();
					const staged = path.join(scratch, 'installed-staged');
					if (!existsSync(staged)) {
						mkdirSync(staged);
						stage(dir, staged);
					}
					const {code, output} = verify(staged, name);
					assert.equal(output, '', `systemd-analyze verify ${name} printed:\n${output}`);
					assert.equal(code, 0);
				});
			}
		});
	});

	describe('systemd install on a full or read-only disk', {skip: smallFsUnavailable()}, () => {
		const worker = 'saccos-queue-worker@.service';

		it('a full disk: exit 74 naming the unit and ENOSPC; the installed unit is as it was (systemd never reads half a unit), no temporary file left', async t => {
			const disk = mountSmallFs(t, 64 * 1024);
			writeFileSync(path.join(disk.dir, worker), '# the unit installed last month\n');
			disk.fill(0);
			const result = await runCli(['systemd', 'install', '--dir', disk.dir]);
			assert.equal(result.code, 74, describeResult(result));
			assert.match(result.stderr, /^saccos-queue: cannot write .*\.(service|target): no space left on the device \(ENOSPC\)\n {2}hint: /, describeResult(result));
			assert.equal(readFileSync(path.join(disk.dir, worker), 'utf8'), '# the unit installed last month\n');
			assert.deepEqual(readdirSync(disk.dir).filter(name => name.endsWith('.tmp')), []);
		});

		it('a read-only folder: exit 74 naming EROFS, not an internal error', async t => {
			const disk = mountSmallFs(t, 64 * 1024);
			disk.readOnly();
			const result = await runCli(['systemd', 'install', '--dir', disk.dir]);
			assert.equal(result.code, 74, describeResult(result));
			assert.match(result.stderr, /^saccos-queue: cannot write .*: the filesystem is read-only \(EROFS\)\n/, describeResult(result));
		});
	});
});
