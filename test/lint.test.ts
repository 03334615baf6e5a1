/**
 * The layer rule is a tool's, not a reviewer's: ESLint (run by `npm test`)
 * refuses a view that imports the data layer or ioredis, and a data module
 * that imports React — and lets a view name a snapshot's type.
 */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {ESLint} from 'eslint';
import {root} from './helpers/cli.js';

const lint = async (file: string, code: string): Promise<string[]> => {
	const [result] = await new ESLint({cwd: root}).lintText(code, {filePath: `${root}/${file}`});
	return result!.messages.map(message => `${message.ruleId ?? ''}: ${message.message}`);
};

describe('the layer rule, enforced', () => {
	it('a view importing the data layer (relative path) fails', async () => {
		const messages = await lint('source/tui/views/x-view.tsx', "import {getJob} from '../../data/jobs.js';\nexport const x = getJob;\n");
		assert.ok(messages.some(message => /no-restricted-imports/.test(message) && /data/.test(message)), messages.join('\n'));
	});

	it('a presenter importing ioredis fails', async () => {
		const messages = await lint('source/present/x-rows.ts', "import {Redis} from 'ioredis';\nexport const x = Redis;\n");
		assert.ok(messages.some(message => /no-restricted-imports/.test(message)), messages.join('\n'));
	});

	it('the data layer importing React fails', async () => {
		const messages = await lint('source/data/x.ts', "import {useState} from 'react';\nexport const x = useState;\n");
		assert.ok(messages.some(message => /no-restricted-imports/.test(message)), messages.join('\n'));
	});

	it('a view naming a snapshot type from store/ and a pure helper from common/ passes', async () => {
		const messages = await lint('source/tui/views/x-view.tsx', "import type {JobDetail} from '../../common/types.js';\nimport {sanitizeLine} from '../../common/sanitize.js';\nexport const x = (job: JobDetail) => sanitizeLine(job.name);\n");
		assert.deepEqual(messages, []);
	});
});
