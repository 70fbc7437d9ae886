/**
 * The behaviour every StateStore must have, as AVA tests run against each implementation
 * (DynamoDB on dynalite, memory). Each test uses its own app name, so the tests of one file can
 * run concurrently against one table.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { from, lastValueFrom, type ObservableInput } from 'rxjs';
import { StateStoreError } from '../../src/errors.js';
import type { Checkpoint, StateStore } from '../../src/state-store/state-store.js';

/** Runs one state-store call to completion, whatever ObservableInput it returns. */
export function run<T>(input: ObservableInput<T>): Promise<T> {
  return lastValueFrom(from(input));
}

let apps = 0;
/** An app name no other test uses. */
export function uniqueApp(prefix = 'app'): string {
  apps += 1;
  return `${prefix}-${apps}-${Math.random().toString(36).slice(2, 8)}`;
}

const T0 = Date.parse('2024-03-01T12:00:00.000Z');
/** A date `ms` milliseconds after a fixed origin. */
export const at = (ms: number): Date => new Date(T0 + ms);

/** A checkpoint of `shard` with a sequence number built from `n`. */
export function checkpoint(shard: number, n: number, lastUpdate = at(0)): Checkpoint {
  return { shardId: shardId(shard), sequenceNumber: `4959033827149025660855969253836157109592157598913658${String(n).padStart(4, '0')}`, lastUpdate };
}

export function shardId(n: number): string {
  return `shardId-${String(n).padStart(12, '0')}`;
}

/**
 * Registers the contract tests for one implementation.
 * @param test AVA's `test`.
 * @param name A prefix for the test titles, such as `dynamodb`.
 * @param open Gives the store to test (called inside each test, after `test.before` hooks).
 */
export function stateStoreContract<C>(
  test: TestFn<C>,
  name: string,
  open: (t: ExecutionContext<C>) => StateStore | Promise<StateStore>,
): void {
  test(`${name}: ready() succeeds on a usable store`, async (t) => {
    const store = await open(t);
    await t.notThrowsAsync(async () => {
      if (store.ready) await run(store.ready());
    });
  });

  test(`${name}: pinged clients are alive, listed sorted, strictly after 'since'`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given three clients pinged at 1000, 2000 and 3000 ms, in no particular order
    await run(store.pingClient(app, 'c', at(3000)));
    await run(store.pingClient(app, 'a', at(1000)));
    await run(store.pingClient(app, 'b', at(2000)));
    // then
    t.deepEqual(await run(store.listAliveClients(app, at(0))), ['a', 'b', 'c']);
    t.deepEqual(await run(store.listAliveClients(app, at(1000))), ['b', 'c'], 'a heartbeat at exactly since is not alive');
    t.deepEqual(await run(store.listAliveClients(app, at(1999))), ['b', 'c']);
    t.deepEqual(await run(store.listAliveClients(app, at(3000))), []);
  });

  test(`${name}: a ping refreshes the heartbeat (upsert)`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await run(store.pingClient(app, 'a', at(1000)));
    t.deepEqual(await run(store.listAliveClients(app, at(5000))), []);
    await run(store.pingClient(app, 'a', at(9000)));
    t.deepEqual(await run(store.listAliveClients(app, at(5000))), ['a']);
  });

  test(`${name}: deregisterClient removes the client; an unknown client is no error`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await run(store.pingClient(app, 'a', at(1000)));
    await run(store.pingClient(app, 'b', at(1000)));
    await run(store.deregisterClient(app, 'a'));
    await run(store.deregisterClient(app, 'never-registered'));
    t.deepEqual(await run(store.listAliveClients(app, at(0))), ['b']);
  });

  test(`${name}: apps do not see each other's clients, shards or checkpoints`, async (t) => {
    const store = await open(t);
    const app1 = uniqueApp();
    const app2 = uniqueApp();
    await run(store.pingClient(app1, 'a', at(1000)));
    await run(store.updateShards(app1, 's', [{ id: shardId(0), closed: false }]));
    await run(store.updateCheckpoints(app1, 's', [checkpoint(0, 1)]));
    t.deepEqual(await run(store.listAliveClients(app2, at(0))), []);
    t.is(await run(store.getShards(app2, 's')), undefined);
    t.deepEqual(await run(store.getCheckpoints(app2, 's')), []);
    t.deepEqual(await run(store.pruneClients(app2, at(1_000_000))), []);
    t.deepEqual(await run(store.listAliveClients(app1, at(0))), ['a']);
  });

  test(`${name}: pruneClients deletes the clients strictly before 'before' and returns them sorted`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    // given
    for (const [id, ms] of [['old-2', 500], ['old-1', 999], ['edge', 1000], ['new', 2000]] as const) {
      await run(store.pingClient(app, id, at(ms)));
    }
    // when
    const pruned = await run(store.pruneClients(app, at(1000)));
    // then
    t.deepEqual(pruned, ['old-1', 'old-2']);
    t.deepEqual(await run(store.listAliveClients(app, at(-1_000_000))), ['edge', 'new']);
    t.deepEqual(await run(store.pruneClients(app, at(1000))), [], 'nothing left to prune');
  });

  test(`${name}: pruneClients handles more than one batch of clients (60)`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const ids = Array.from({ length: 60 }, (_, i) => `client-${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) await run(store.pingClient(app, id, at(i)));
    await run(store.pingClient(app, 'alive', at(10_000)));
    t.deepEqual(await run(store.pruneClients(app, at(60))), ids);
    t.deepEqual(await run(store.listAliveClients(app, at(-1_000_000))), ['alive']);
  });

  test(`${name}: many clients (120) are all listed`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const ids = Array.from({ length: 120 }, (_, i) => `client-${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map((id, i) => run(store.pingClient(app, id, at(1000 + i)))));
    t.deepEqual(await run(store.listAliveClients(app, at(0))), ids);
    t.deepEqual(await run(store.listAliveClients(app, at(1059))), ids.slice(60));
  });

  test(`${name}: getShards is undefined before the first update`, async (t) => {
    const store = await open(t);
    t.is(await run(store.getShards(uniqueApp(), 'stream')), undefined);
  });

  test(`${name}: updateShards then getShards round-trips the list, parents included, in order`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const shards = [
      { id: shardId(2), closed: false, parentShardId: shardId(0) },
      { id: shardId(0), closed: true },
      { id: shardId(1), closed: true },
      { id: shardId(3), closed: false, parentShardId: shardId(1), adjacentParentShardId: shardId(2) },
    ];
    await run(store.updateShards(app, 'stream-a', shards));
    t.deepEqual(await run(store.getShards(app, 'stream-a')), shards);
    t.is(await run(store.getShards(app, 'stream-b')), undefined, 'per stream');

    // when replaced, by an empty list too
    await run(store.updateShards(app, 'stream-a', [{ id: shardId(9), closed: false }]));
    t.deepEqual(await run(store.getShards(app, 'stream-a')), [{ id: shardId(9), closed: false }]);
    await run(store.updateShards(app, 'stream-a', []));
    t.deepEqual(await run(store.getShards(app, 'stream-a')), []);
  });

  test(`${name}: callers cannot change stored shards through the objects they passed or got`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const given = [{ id: shardId(0), closed: false }];
    await run(store.updateShards(app, 's', given));
    given[0]!.closed = true;
    given.push({ id: shardId(1), closed: false });
    const got = await run(store.getShards(app, 's'));
    got![0]!.id = 'changed';
    t.deepEqual(await run(store.getShards(app, 's')), [{ id: shardId(0), closed: false }]);
  });

  test(`${name}: checkpoints are empty before the first update`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    t.deepEqual(await run(store.getCheckpoints(app, 's')), []);
    t.deepEqual(await run(store.getCheckpoints(app, 's', [shardId(0)])), []);
    t.deepEqual(await run(store.getCheckpoints(app, 's', [])), []);
  });

  test(`${name}: updateCheckpoints then getCheckpoints, all of a stream sorted or the asked ones in that order`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const cps = [checkpoint(2, 2, at(2)), checkpoint(0, 0, at(0)), checkpoint(1, 1, at(1))];
    await run(store.updateCheckpoints(app, 's', cps));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [cps[1], cps[2], cps[0]]);
    t.deepEqual(await run(store.getCheckpoints(app, 's', [shardId(1), shardId(7), shardId(0)])), [cps[2], cps[1]]);
    t.deepEqual(await run(store.getCheckpoints(app, 'other-stream')), [], 'per stream');

    // when one is overwritten
    const newer = checkpoint(1, 99, at(5000));
    await run(store.updateCheckpoints(app, 's', [newer]));
    t.deepEqual(await run(store.getCheckpoints(app, 's', [shardId(1)])), [newer]);
  });

  test(`${name}: a shard given twice in one update keeps the last checkpoint`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await run(store.updateCheckpoints(app, 's', [checkpoint(0, 1), checkpoint(1, 1), checkpoint(0, 2, at(7))]));
    t.deepEqual(await run(store.getCheckpoints(app, 's', [shardId(0), shardId(0)])), [checkpoint(0, 2, at(7))]);
  });

  test(`${name}: an empty update writes nothing and succeeds`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await run(store.updateCheckpoints(app, 's', []));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), []);
  });

  test(`${name}: a sequence number that is not a decimal string is refused, and nothing is written`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const bad = { shardId: shardId(1), sequenceNumber: '12ab', lastUpdate: at(0) };
    const err = await t.throwsAsync(run(store.updateCheckpoints(app, 's', [checkpoint(0, 1), bad])), {
      instanceOf: StateStoreError,
    });
    t.false(err?.retriable);
    t.regex(err?.message ?? '', /shardId-000000000001/);
    t.deepEqual(await run(store.getCheckpoints(app, 's')), []);
  });

  test(`${name}: 60 checkpoints are written and read back (more than one write batch)`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const cps = Array.from({ length: 60 }, (_, i) => checkpoint(i, i, at(i)));
    await run(store.updateCheckpoints(app, 's', cps));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), cps);
  });

  test(`${name}: 130 shard ids are read back in the asked order (more than one read batch)`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const cps = Array.from({ length: 120 }, (_, i) => checkpoint(i, i, at(i)));
    await run(store.updateCheckpoints(app, 's', cps));
    // asked for in reverse, with 10 shards that have no checkpoint
    const ids = Array.from({ length: 130 }, (_, i) => shardId(129 - i));
    t.deepEqual(await run(store.getCheckpoints(app, 's', ids)), [...cps].reverse());
  });

  test(`${name}: callers cannot change stored checkpoints through the objects they passed or got`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const cp = checkpoint(0, 1, at(100));
    await run(store.updateCheckpoints(app, 's', [cp]));
    cp.lastUpdate.setTime(0);
    cp.sequenceNumber = '5';
    const [got] = await run(store.getCheckpoints(app, 's'));
    got!.lastUpdate.setTime(0);
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [checkpoint(0, 1, at(100))]);
  });
}
