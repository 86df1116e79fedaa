import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Lane, Service } from '../../control-plane/src/model/types.js';
import { FileStore } from '../../control-plane/src/sources/store.js';
import { loadStore } from '../../control-plane/src/sources/store-file.js';
import { journalLines, replayJournal } from '../../control-plane/src/sources/store-journal.js';

const root = mkdtempSync(join(tmpdir(), 'laneway-journal-'));
let n = 0;
const freshDir = () => join(root, `d${++n}`);
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = '2030-01-01T00:00:00.000Z';
const openAt = (dir: string, options: { minCompactBytes?: number } = {}) => FileStore.open(dir, { now: () => new Date(T0), ...options });
const orders: Service = { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] };
const lane = (name: string, ip: string): Lane => ({ name, services: { orders: [`${ip}:8080`] } });
const stateFile = (dir: string) => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { format: number; journal: number; lanes: Record<string, Lane> };

/** A store with orders, lanes a and b, and lane c deleted: four entries in journal-0. */
async function storeWithEntries(dir: string): Promise<FileStore> {
  const store = await openAt(dir);
  await store.putService(orders);
  await store.putLane(lane('a', '10.1.0.1'));
  await store.putLane(lane('c', '10.1.0.3'));
  await store.deleteLane('c');
  await store.putLane(lane('b', '10.1.0.2'));
  return store;
}

describe('store journal', () => {
  test('each write is one line naming what it changed; a delete is a line without a value', async () => {
    const dir = freshDir();
    await storeWithEntries(dir);
    const lines = readFileSync(join(dir, 'journal-0.jsonl'), 'utf8').split('\n');
    assert.deepEqual(lines, [
      `{"kind":"services","name":"orders","value":${JSON.stringify(orders)},"meta":{"resourceVersion":"1","createdAt":"${T0}","updatedAt":"${T0}"},"revision":1}`,
      `{"kind":"lanes","name":"a","value":{"name":"a","services":{"orders":["10.1.0.1:8080"]}},"meta":{"resourceVersion":"2","createdAt":"${T0}","updatedAt":"${T0}"},"revision":2}`,
      `{"kind":"lanes","name":"c","value":{"name":"c","services":{"orders":["10.1.0.3:8080"]}},"meta":{"resourceVersion":"3","createdAt":"${T0}","updatedAt":"${T0}"},"revision":3}`,
      '{"kind":"lanes","name":"c","revision":3}',
      `{"kind":"lanes","name":"b","value":{"name":"b","services":{"orders":["10.1.0.2:8080"]}},"meta":{"resourceVersion":"4","createdAt":"${T0}","updatedAt":"${T0}"},"revision":4}`,
      '',
    ]);
    assert.deepEqual(stateFile(dir).lanes, {}, 'the state file is not rewritten by a write');
    const reopened = await openAt(dir);
    assert.deepEqual(Object.keys(reopened.state().lanes), ['a', 'b']);
    assert.equal(reopened.getLane('b')?.meta.resourceVersion, '4');
    assert.equal((await reopened.putLane(lane('d', '10.1.0.4'))).meta.resourceVersion, '5', 'the counter continues after a replay');
  });

  test('an unfinished last entry (a write cut short) is dropped and cut off; later writes start on their own line', async () => {
    const dir = freshDir();
    await storeWithEntries(dir);
    const journal = join(dir, 'journal-0.jsonl');
    const whole = statSync(journal).size;
    appendFileSync(journal, '{"kind":"lanes","name":"torn","value":{"na');
    const reopened = await openAt(dir);
    assert.deepEqual(Object.keys(reopened.state().lanes), ['a', 'b']);
    assert.equal(statSync(journal).size, whole, 'the torn bytes are gone');
    await reopened.putLane(lane('d', '10.1.0.4'));
    assert.deepEqual(Object.keys((await openAt(dir)).state().lanes), ['a', 'b', 'd']);
  });

  test('a last line that does not parse is dropped too; one before the last is a clear error', async () => {
    const dir = freshDir();
    await storeWithEntries(dir);
    const journal = join(dir, 'journal-0.jsonl');
    const good = readFileSync(journal, 'utf8');
    writeFileSync(journal, `${good}{"kind":"lanes","name":"x"\n`);
    assert.deepEqual(Object.keys((await openAt(dir)).state().lanes), ['a', 'b']);
    const lines = good.split('\n');
    writeFileSync(journal, [lines[0], '{"kind":"lanes"', ...lines.slice(1)].join('\n'));
    await assert.rejects(openAt(dir), (err: Error) => {
      assert.match(err.message, new RegExp(`^store journal ${journal} is corrupt at line 2 \\(`));
      assert.match(err.message, /refusing to start without the writes after it/);
      return true;
    });
    writeFileSync(journal, [lines[0], '{"kind":"routes","name":"x","revision":1}', ...lines.slice(1)].join('\n'));
    await assert.rejects(openAt(dir), { message: new RegExp(`^store journal ${journal} is corrupt at line 2 \\(kind "routes" is not settings, services or lanes\\)`) });
  });

  test('a journal that leaves invalid definitions is refused, naming both files', async () => {
    const dir = freshDir();
    await storeWithEntries(dir);
    appendFileSync(join(dir, 'journal-0.jsonl'), '{"kind":"services","name":"orders","revision":5}\n');
    await assert.rejects(openAt(dir), {
      message: `store file ${join(dir, 'state.json')} with journal ${join(dir, 'journal-0.jsonl')} holds invalid definitions: lanes/a/services/orders: service "orders" does not exist; lanes/b/services/orders: service "orders" does not exist`,
    });
  });

  test('compaction: once the journal outgrows its limit the state file is rewritten naming a new journal', async () => {
    const dir = freshDir();
    const store = await openAt(dir, { minCompactBytes: 600 });
    await store.putService(orders);
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      await store.putLane(lane(`l${i}`, `10.1.0.${i}`));
      seen.push(readdirSync(dir).filter((name) => name.startsWith('journal-')).sort().join(','));
    }
    await store.putLane(lane('last', '10.1.0.99'));
    const file = stateFile(dir);
    assert.ok(file.journal >= 2, `compacted more than once (state file names journal ${file.journal}; journals seen: ${seen.join(' ')})`);
    assert.ok(Object.keys(file.lanes).length >= 6, 'the state file holds the lanes of the journals it replaced');
    assert.deepEqual(readdirSync(dir).filter((name) => name.startsWith('journal-')), [`journal-${file.journal}.jsonl`], 'the old journals are deleted');
    const reopened = await openAt(dir);
    assert.deepEqual(reopened.state(), store.state());
    assert.deepEqual(reopened.meta(), store.meta());
  });

  test('a crash after a compaction renamed the state file, before it deleted the old journal, loses and doubles nothing', async () => {
    const dir = freshDir();
    const store = await storeWithEntries(dir);
    copyFileSync(join(dir, 'journal-0.jsonl'), join(root, `kept-${n}`));
    await store.close();
    assert.equal(stateFile(dir).journal, 1);
    // The old journal is back, as if the process died between the rename and the delete.
    copyFileSync(join(root, `kept-${n}`), join(dir, 'journal-0.jsonl'));
    const reopened = await openAt(dir);
    assert.deepEqual(reopened.state(), store.state());
    assert.deepEqual(readdirSync(dir).sort(), ['journal-1.jsonl', 'state.json'], 'the journal the state file does not name is deleted');
    await reopened.putLane(lane('d', '10.1.0.4'));
    assert.equal(readFileSync(join(dir, 'journal-1.jsonl'), 'utf8').split('\n').length, 2, 'one entry, in the journal the state file names');
    assert.deepEqual(Object.keys((await openAt(dir)).state().lanes), ['a', 'b', 'd']);
  });

  test('the journal exists before the first write; one made by a compaction that never renamed its state file is deleted', async () => {
    const dir = freshDir();
    await openAt(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['journal-0.jsonl', 'state.json'], 'a new data directory: both at once');
    writeFileSync(join(dir, 'journal-1.jsonl'), '');
    const store = await openAt(dir);
    assert.deepEqual(readdirSync(dir).sort(), ['journal-0.jsonl', 'state.json']);
    await store.putService(orders);
    assert.deepEqual(Object.keys((await openAt(dir)).state().services), ['orders']);
  });

  test('a hand-edited state file whose lanes or metadata are not objects is a clear error or made up, never a crash', async () => {
    const dir = freshDir();
    await storeWithEntries(dir);
    const file = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...file, meta: 'x' }));
    const reopened = await openAt(dir);
    assert.deepEqual(Object.keys(reopened.state().lanes), ['a', 'b']);
    assert.equal(reopened.getLane('b')?.meta.resourceVersion, '4', 'the journal\'s metadata is kept');
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ ...file, lanes: 5 }));
    await assert.rejects(openAt(dir), { message: /^store file .*state\.json with journal .*journal-0\.jsonl holds invalid definitions: lanes: / });
  });

  test('reading a data directory (loadStore) changes nothing on disk', async () => {
    const dir = freshDir();
    await storeWithEntries(dir);
    appendFileSync(join(dir, 'journal-0.jsonl'), '{"kind":"lanes","na');
    const before = readdirSync(dir).sort().map((name) => readFileSync(join(dir, name), 'utf8'));
    const loaded = await loadStore(dir, T0);
    assert.deepEqual(Object.keys(loaded.contents.state.lanes), ['a', 'b']);
    assert.equal(loaded.journalEntries, 5);
    assert.equal(loaded.droppedTail, 'line 6 has no end: a write cut short');
    assert.deepEqual(readdirSync(dir).sort().map((name) => readFileSync(join(dir, name), 'utf8')), before);
  });
  test('a write of several objects is its lines together: all of them count, or none', () => {
    const meta = { resourceVersion: '7', createdAt: T0, updatedAt: T0 };
    const draft = {
      state: { settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' }, services: { orders }, lanes: { a: lane('a', '10.1.0.1') } },
      meta: { revision: 7, settings: meta, services: { orders: meta }, lanes: { a: meta } },
    };
    const lines = journalLines(draft, { lanes: ['a', 'gone'] });
    assert.equal(lines, [
      `{"kind":"lanes","name":"a","value":{"name":"a","services":{"orders":["10.1.0.1:8080"]}},"meta":{"resourceVersion":"7","createdAt":"${T0}","updatedAt":"${T0}"},"revision":7,"more":true}`,
      '{"kind":"lanes","name":"gone","revision":7}',
      '',
    ].join('\n'));
    const before = '{"kind":"services","name":"orders","value":{"name":"orders","protocol":"http","port":8080,"endpoints":[]},"meta":{},"revision":6}\n';
    const replay = (text: string) => {
      const contents = { state: { services: {}, lanes: { gone: lane('gone', '10.1.0.9') } } as Record<string, any>, meta: { lanes: { gone: meta } } as Record<string, any> };
      return { result: replayJournal(contents, text, 'journal'), lanes: Object.keys(contents.state.lanes).sort(), services: Object.keys(contents.state.services) };
    };
    assert.deepEqual(replay(before + lines), { result: { validBytes: Buffer.byteLength(before + lines), entries: 3 }, lanes: ['a'], services: ['orders'] });
    const first = lines.split('\n')[0]!;
    assert.deepEqual(replay(`${before}${first}\n`), {
      result: { validBytes: Buffer.byteLength(before), entries: 1, droppedTail: 'the last 1 line(s) belong to a write whose last line is missing: a write cut short' },
      lanes: ['gone'], services: ['orders'],
    }, 'the first line alone changes nothing');
    assert.deepEqual(replay(`${before}${first}\n{"kind":"lanes","na`), {
      result: { validBytes: Buffer.byteLength(before), entries: 1, droppedTail: 'line 3 has no end: a write cut short; 1 earlier line(s) of the same write dropped with it' },
      lanes: ['gone'], services: ['orders'],
    });
    assert.throws(() => replay(`${first.replace('"more":true', '"more":1')}\n${before}`), { message: /^store journal journal is corrupt at line 1 \(more is neither true nor absent\)/ });
  });
});
