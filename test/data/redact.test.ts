import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {redact, redactUrl, registerSecret} from '../../source/data/redact.js';
import {toUserError} from '../../source/data/connection.js';
import {UserError} from '../../source/errors.js';

describe('redaction', () => {
	it('hides the password of a URL and keeps the user', () => {
		assert.equal(redactUrl('redis://app:p%40ss@db:6379/2'), 'redis://app:***@db:6379/2');
		assert.equal(redactUrl('rediss://:hunter2@cache.example:6380'), 'rediss://:***@cache.example:6380');
		assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
	});

	it('removes registered secrets from any text, raw or URL-encoded', () => {
		registerSecret('s3cr3t/pw');
		assert.equal(redact('ReplyError: ERR AUTH s3cr3t/pw failed'), 'ReplyError: ERR AUTH *** failed');
		assert.equal(redact('url redis://u:s3cr3t%2Fpw@h'), 'url redis://u:***@h');
	});

	it('an ioredis AUTH error becomes exit 4 without the password', () => {
		registerSecret('wrongpass-123');
		const error = toUserError(Object.assign(new Error('WRONGPASS invalid username-password pair (AUTH wrongpass-123)'), {}), 'redis://:***@h:1');
		assert.ok(error instanceof UserError);
		assert.equal(error.exitCode, 4);
		assert.doesNotMatch(error.message, /wrongpass-123/);
	});

	it('classifies unreachable and incompatible servers', () => {
		const refused = toUserError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {code: 'ECONNREFUSED'}), 'x') as UserError;
		assert.equal(refused.exitCode, 3);
		const crossslot = toUserError(new Error("CROSSSLOT Keys in request don't hash to the same slot"), 'x') as UserError;
		assert.equal(crossslot.exitCode, 5);
		const bug = new TypeError('undefined is not a function');
		assert.equal(toUserError(bug, 'x'), bug, 'anything else stays a bug');
	});
});
