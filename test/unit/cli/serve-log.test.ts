// serve's Logger: the level filter, plain text and JSON lines, and --log-format auto.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger, logFormat } from '../../../src/cli/serve/log.js';

describe('serve log', () => {
  test('lines at or above the level are written, the rest are not', () => {
    const lines: string[] = [];
    const logger = new Logger('warn', 'json', (line) => lines.push(line));
    logger.log('debug', 'a', 'not shown');
    logger.log('info', 'b', 'not shown');
    logger.log('warn', 'c', 'shown');
    logger.log('error', 'd', 'shown too');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line).event),
      ['c', 'd'],
    );
    assert.equal(logger.enabled('info'), false);
    assert.equal(logger.enabled('error'), true);
  });

  test('JSON lines: one object per line with time, level, event, message and the fields', () => {
    const lines: string[] = [];
    new Logger('info', 'json', (line) => lines.push(line)).log('info', 'handshake.refused', 'refused', {
      status: 404,
      remoteAddress: '127.0.0.1',
      absent: undefined,
    });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith('\n'));
    const entry = JSON.parse(lines[0] as string);
    assert.equal(entry.level, 'info');
    assert.equal(entry.event, 'handshake.refused');
    assert.equal(entry.message, 'refused');
    assert.equal(entry.status, 404);
    assert.equal(entry.remoteAddress, '127.0.0.1');
    assert.equal('absent' in entry, false);
    assert.ok(!Number.isNaN(Date.parse(entry.time)));
  });

  test('plain text: time, level, message, then name=value fields (strings quoted)', () => {
    const lines: string[] = [];
    new Logger('debug', 'text', (line) => lines.push(line)).log('warn', 'budget.shed', 'shed', {
      code: 1013,
      cause: 'outbound',
    });
    assert.match(lines[0] as string, /^\d{4}-\d\d-\d\dT\S+Z warn {2}shed code=1013 cause="outbound"\n$/);
  });

  test('--log-format auto: text on a terminal, JSON otherwise; text and json as given', () => {
    assert.equal(logFormat('auto', { isTTY: true }), 'text');
    assert.equal(logFormat('auto', { isTTY: false }), 'json');
    assert.equal(logFormat('auto', {}), 'json');
    assert.equal(logFormat('json', { isTTY: true }), 'json');
    assert.equal(logFormat('text', {}), 'text');
  });
});
