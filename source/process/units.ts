/**
 * The unit files in systemd/, rendered for one install: where the package
 * lives, the node binary, the service user, the config path. The files as
 * committed are valid for the defaults (/opt/saccos-queue, /usr/bin/node,
 * user saccos-queue, /etc/saccos-queue/config.json).
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export const unitsDir = fileURLToPath(new URL('../../systemd/', import.meta.url));
export const packageRoot = path.resolve(unitsDir, '..');

export type RenderOptions = {installDir: string; node: string; user: string; config: string; envFile: string};

export const defaultRender = (): RenderOptions => ({
	installDir: packageRoot,
	node: process.execPath,
	user: 'saccos-queue',
	config: '/etc/saccos-queue/config.json',
	envFile: '/etc/saccos-queue/env',
});

/** Every unit file name shipped in systemd/. */
export const unitFiles = (): string[] => readdirSync(unitsDir).filter(name => /\.(service|target)$/.test(name)).sort();

/** One unit file's text, rendered. */
export function renderUnit(name: string, options: RenderOptions): string {
	return readFileSync(path.join(unitsDir, name), 'utf8')
		.replaceAll('/usr/bin/node /opt/saccos-queue/bin/saccos-queue.js', `${options.node} ${path.join(options.installDir, 'bin', 'saccos-queue.js')}`)
		.replaceAll('WorkingDirectory=/opt/saccos-queue', `WorkingDirectory=${options.installDir}`)
		.replace(/^User=saccos-queue$/m, `User=${options.user}`)
		.replace(/^Group=saccos-queue$/m, `Group=${options.user}`)
		.replaceAll('SACCOS_QUEUE_CONFIG=/etc/saccos-queue/config.json', `SACCOS_QUEUE_CONFIG=${options.config}`)
		.replaceAll('EnvironmentFile=-/etc/saccos-queue/env', `EnvironmentFile=-${options.envFile}`)
		// ProtectHome=yes would hide an install (or config) under /home or /root from the service.
		.replace(/^ProtectHome=yes$/m, [options.installDir, options.config, options.node].some(target => /^\/(home|root)(\/|$)/.test(target)) ? 'ProtectHome=read-only' : 'ProtectHome=yes');
}
