/**
 * The README's key table, generated from the keymap (docs/ARCHITECTURE.md, "The key table"), so the
 * documentation cannot drift from the keys: test/tui/keymap.test.ts checks
 * that the README holds exactly this; `node scripts/keys-table.js` prints it.
 */
import {keymap, type Scope} from './commands.js';
import {keyLabel} from './dispatch.js';

const ORDER: Scope[] = ['global', 'queues', 'jobs', 'job', 'metrics', 'search', 'workers', 'schedules', 'services', 'logs', 'events'];

export function keyTableMarkdown(): string {
	const lines = ['| view | keys | does | notes |', '|---|---|---|---|'];
	for (const scope of ORDER) {
		for (const action of keymap.filter(entry => entry.scope === scope)) {
			const keys = action.keys.map(key => `\`${keyLabel(key).replace('|', '\\|')}\``).join(' ');
			const notes = action.dangerous ? 'writes · type to confirm' : action.writes ? 'writes' : '';
			lines.push(`| ${scope === 'global' ? 'everywhere' : scope} | ${keys} | ${action.description} | ${notes} |`);
		}
	}
	return lines.join('\n');
}
