/** `audit [--since D]`: who did what — every mutating action, allowed or refused, newest first. */
import {intFlag, stringFlag, type CommandSpec, type Context} from '../command.js';
import {listAudit} from '../data/audit.js';
import {UserError} from '../errors.js';
import {printJson} from '../output/json.js';
import {renderTable} from '../output/table.js';
import {formatTime} from '../present/format.js';
import {parseDuration} from '../util/duration.js';

export const spec: CommandSpec = {
	name: 'audit',
	summary: 'Every mutating action with user, host, time, counts and result, newest first.',
	usage: ['audit [--since 24h] [--limit N] [--json]'],
	options: {
		since: {type: 'string', value: 'D', description: 'only the last D (e.g. 24h, 7d)'},
		limit: {type: 'string', value: 'N', description: 'at most N records (default 100, max 10000)'},
	},
};

export async function run(context: Context): Promise<number> {
	const sinceText = stringFlag(context.flags, 'since');
	const since = sinceText === undefined ? undefined : parseDuration(sinceText);
	if (sinceText !== undefined && since === undefined) throw new UserError('usage', `--since "${sinceText}" is not a duration`, 'e.g. --since 24h');
	const limit = intFlag(context.flags, 'limit', 100, 1, 10_000);
	const connection = await context.connect();
	const records = await listAudit(connection, {...(since === undefined ? {} : {sinceMs: Date.now() - since}), limit});
	if (context.json) {
		printJson({records});
		return 0;
	}
	if (records.length === 0) {
		context.out('No audited actions yet.');
		return 0;
	}
	context.out(renderTable(
		['TIME', 'USER', 'HOST', 'FROM', 'ACTION', 'QUEUE', 'COUNT', 'RESULT', 'COMMAND'],
		records.map(record => [
			formatTime(Date.parse(record.time), context.config.timezone),
			record.sudoUser ? `${record.sudoUser} (as ${record.user})` : record.user,
			record.host,
			record.sshClient ?? record.tty ?? '-',
			record.action,
			record.queue ?? 'all',
			record.count,
			record.message && record.result === 'refused' ? `refused: ${record.message}` : record.result,
			record.command,
		]),
		{maxWidth: 50},
	));
	return 0;
}
