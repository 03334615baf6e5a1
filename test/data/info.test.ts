import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {parseInfo, workersFromClientList} from '../../source/data/info.js';
import {queueOfKey} from '../../source/data/queues.js';
import {parseDuration, formatDuration} from '../../source/util/duration.js';

describe('INFO and CLIENT LIST parsing', () => {
	it('reads INFO fields across sections', () => {
		const info = parseInfo('# Server\r\nredis_version:7.0.15\r\n\r\n# Memory\r\nused_memory:1024\r\nmaxmemory_policy:noeviction\r\n');
		assert.equal(info.get('redis_version'), '7.0.15');
		assert.equal(info.get('used_memory'), '1024');
		assert.equal(info.get('maxmemory_policy'), 'noeviction');
	});

	it('matches BullMQ worker client names to queues locally', () => {
		const b64 = (name: string) => Buffer.from(name).toString('base64');
		const list = [
			`id=1 addr=10.0.0.5:5000 age=30 idle=1 name=bull:${b64('high')}:w:host-a-1 cmd=bzpopmin`,
			`id=2 addr=10.0.0.6:5001 age=40 idle=0 name=bull:${b64('emails')} cmd=evalsha`,
			`id=3 addr=10.0.0.7:5002 age=50 idle=0 name=other:${b64('high')} cmd=ping`,
			'id=4 addr=10.0.0.8:5003 age=1 idle=0 name= cmd=client',
		].join('\n');
		const workers = workersFromClientList(list, 'bull', ['high', 'default', 'emails']);
		assert.deepEqual(workers.map(worker => [worker.queue, worker.workerName, worker.addr]), [
			['high', 'host-a-1', '10.0.0.5:5000'],
			['emails', null, '10.0.0.6:5001'],
		]);
	});

	it('finds queue names in BullMQ keys and ignores job keys', () => {
		assert.equal(queueOfKey('bull:emails:meta', 'bull'), 'emails');
		assert.equal(queueOfKey('bull:reports:legacy:wait', 'bull'), 'reports:legacy');
		assert.equal(queueOfKey('bull:emails:123', 'bull'), undefined);
		assert.equal(queueOfKey('bull:emails:123:logs', 'bull'), undefined);
		assert.equal(queueOfKey('other:emails:meta', 'bull'), undefined);
		assert.equal(queueOfKey('{saccos}:high:events', '{saccos}'), 'high');
	});
});

describe('durations', () => {
	it('reads what operators write', () => {
		assert.equal(parseDuration('90s'), 90_000);
		assert.equal(parseDuration('15m'), 900_000);
		assert.equal(parseDuration('30d'), 2_592_000_000);
		assert.equal(parseDuration('500ms'), 500);
		assert.equal(parseDuration('30 days'), undefined);
		assert.equal(parseDuration('-5s'), undefined);
	});

	it('prints short human forms', () => {
		assert.equal(formatDuration(950), '950ms');
		assert.equal(formatDuration(42_000), '42s');
		assert.equal(formatDuration(425_000), '7m 05s');
		assert.equal(formatDuration(2 * 86_400_000 + 3_600_000), '2d 1h');
	});
});
