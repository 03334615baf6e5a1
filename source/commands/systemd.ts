/** `systemd print|install`: the unit files, rendered for this install. */
import {existsSync, mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {stringFlag, type CommandSpec, type Context} from '../command.js';
import {UserError, fileError} from '../errors.js';
import {printJson} from '../output/json.js';
import {defaultRender, renderUnit, unitFiles, type RenderOptions} from '../process/units.js';
import {writeOptions} from './act.js';

export const spec: CommandSpec = {
	name: 'systemd',
	summary: 'Print or install the systemd unit files, rendered for this install.',
	usage: ['systemd print [--user U] [--install-dir D] [--node PATH] [--unit-config PATH]', 'systemd install [--dir /etc/systemd/system] [same options] [--dry-run]'],
	replaces: 'copying unit files into /etc/systemd/system by hand',
	options: {
		user: {type: 'string', value: 'U', description: 'the service user (default saccos-queue)'},
		'install-dir': {type: 'string', value: 'D', description: 'where saccos-queue is installed (default: this package)'},
		node: {type: 'string', value: 'PATH', description: 'the node binary (default: this one)'},
		'unit-config': {type: 'string', value: 'PATH', description: 'the config file the units use (default /etc/saccos-queue/config.json)'},
		'env-file': {type: 'string', value: 'PATH', description: 'the EnvironmentFile with secrets (default /etc/saccos-queue/env)'},
		dir: {type: 'string', value: 'D', description: 'install: where to write (default /etc/systemd/system)'},
		...writeOptions,
	},
};

function options(context: Context): RenderOptions {
	const defaults = defaultRender();
	const user = stringFlag(context.flags, 'user') ?? defaults.user;
	if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new UserError('usage', `invalid user name "${user}"`, 'e.g. --user saccos-queue');
	return {
		user,
		installDir: path.resolve(stringFlag(context.flags, 'install-dir') ?? defaults.installDir),
		node: stringFlag(context.flags, 'node') ?? defaults.node,
		config: stringFlag(context.flags, 'unit-config') ?? (context.config.file ?? defaults.config),
		envFile: stringFlag(context.flags, 'env-file') ?? defaults.envFile,
	};
}

/**
 * Writes each unit whole or not at all: a temporary file renamed over the old one, so a full or
 * read-only disk (or no permission: not root) leaves the installed units as they were — systemd
 * never reads half a unit — and is exit 74 saying which units were written before it.
 */
function installUnits(dir: string, units: ReadonlyArray<{name: string; text: string}>): void {
	const written: string[] = [];
	let target = dir;
	try {
		mkdirSync(dir, {recursive: true});
		for (const unit of units) {
			target = path.join(dir, unit.name);
			const temporary = path.join(dir, `.${unit.name}.${process.pid}.tmp`);
			try {
				writeFileSync(temporary, unit.text, {mode: 0o644});
				renameSync(temporary, target);
			} catch (error) {
				try {
					rmSync(temporary, {force: true});
				} catch {
					// a read-only folder: nothing was created to remove
				}
				throw error;
			}
			written.push(unit.name);
		}
	} catch (error) {
		const failure = fileError(error, 'write', target);
		if (!(failure instanceof UserError) || written.length === 0) throw failure;
		throw new UserError('io', `${failure.message}; ${written.join(', ')} were written before it, the others are as they were`, failure.hint, {cause: error});
	}
}

export async function run(context: Context): Promise<number> {
	const [sub] = context.args;
	const render = options(context);
	const units = unitFiles().map(name => ({name, text: renderUnit(name, render)}));
	if (sub === 'print') {
		if (context.json) printJson({options: render, units});
		else for (const unit of units) context.out(`### ${unit.name}\n${unit.text}`);
		return 0;
	}
	if (sub === 'install') {
		const dir = stringFlag(context.flags, 'dir') ?? '/etc/systemd/system';
		const dryRun = context.flags['dry-run'] === true;
		if (context.config.readOnly) throw new UserError('refused', 'read-only mode: systemd install refused', 'drop --read-only');
		if (!dryRun) installUnits(dir, units);
		const steps = [
			`id ${render.user} || useradd --system --home-dir /var/lib/saccos-queue --shell /usr/sbin/nologin ${render.user}`,
			`install -d -m 0750 -o root -g ${render.user} /etc/saccos-queue   # config.json here; secrets in ${render.envFile} (mode 0640)`,
			'systemctl daemon-reload',
			'systemctl enable --now saccos-queue.target   # the all-queues worker and the scheduler',
			'systemctl enable --now saccos-queue-worker@high   # optional: a dedicated worker per busy queue',
			'systemctl enable --now saccos-queue-exporter   # optional: Prometheus metrics on http://127.0.0.1:9464/metrics',
		];
		if (context.json) printJson({dir, dryRun, units: units.map(unit => unit.name), next: steps});
		else {
			context.out(`${dryRun ? 'Would write' : 'Wrote'} ${units.map(unit => unit.name).join(', ')} to ${dir}${existsSync('/run/systemd/system') ? '' : ' (no systemd is running here)'}.`);
			context.out(`Next:\n${steps.map(step => `  ${step}`).join('\n')}`);
		}
		return 0;
	}
	throw new UserError('usage', sub ? `unknown systemd subcommand "${sub}"` : 'systemd needs print or install', 'usage: saccos-queue systemd print | install');
}
