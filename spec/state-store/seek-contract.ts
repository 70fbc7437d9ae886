/**
 * The behaviour of `seekShard` and of the rules a seek changes, as AVA tests run against each
 * store that has it (DynamoDB on dynalite, memory): a seek wins over the owner's later writes,
 * and over heartbeat checkpoints made before it, whoever takes the shard next.
 */
import type { ExecutionContext, TestFn } from 'ava';
import type { Heartbeat, ShardSeek, ShardState, StateStore } from '../../src/state-store/state-store.js';
import { acquire, at, commit, run, seq, shardId, shardStart, uniqueApp } from './contract.js';

function seek(store: StateStore, app: string, shard: number, fields: Partial<ShardSeek> = {}): Promise<ShardState> {
  if (store.seekShard === undefined) throw new Error('the store has no seekShard()');
  return run(store.seekShard(app, 's', shardId(shard), { seekTo: 'TRIM_HORIZON', now: at(50), shardStart: shardStart(shard), ...fields }));
}

function beat(store: StateStore, app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
  return run(store.heartbeat!(app, clientId, now, heartbeat));
}

async function stateOf(store: StateStore, app: string, shard: number): Promise<ShardState | undefined> {
  return (await run(store.listShardStates(app, 's'))).find((s) => s.shardId === shardId(shard));
}

/** Registers the seek contract tests for one implementation (it must have `heartbeat` and `seekShard`). */
export function seekContract<C>(test: TestFn<C>, name: string, open: (t: ExecutionContext<C>) => StateStore | Promise<StateStore>): void {
  test(`${name}: seekShard sends a held shard to its target: one more seek, its start as the checkpoint, no finished mark, the owner kept`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(5), previous: undefined, finished: true, now: at(2) }));
    const after = await seek(store, app, 0, { seekTo: 'AT_TIMESTAMP:2024-03-01T12:00:00.000Z' });
    // the shard's start as its sequence number: kinesumer (Go), which knows no seeks, reads it from its beginning
    const expected = {
      shardId: shardId(0),
      sequenceNumber: shardStart(0),
      owner: 'a',
      finished: false,
      shardStart: shardStart(0),
      lastUpdate: at(50),
      seek: 1,
      seekTo: 'AT_TIMESTAMP:2024-03-01T12:00:00.000Z',
    };
    t.deepEqual(after, expected);
    t.deepEqual(await stateOf(store, app, 0), expected);
    t.is((await seek(store, app, 0, { seekTo: 'LATEST', seekAfter: { [shardId(9)]: 4 } })).seek, 2, 'every seek adds one');
    t.deepEqual((await stateOf(store, app, 0))?.seekAfter, { [shardId(9)]: 4 });
    // a shard without state gets one; without a target it is recorded finished
    t.deepEqual(await seek(store, app, 1, { seekTo: undefined, seekAfter: {} }), {
      shardId: shardId(1),
      sequenceNumber: shardStart(1),
      finished: true,
      shardStart: shardStart(1),
      lastUpdate: at(50),
      seek: 1,
    });
    // without a known shard start there is no sequence number at all
    t.is((await seek(store, app, 2, { shardStart: undefined })).sequenceNumber, undefined);
  });

  test(`${name}: after a seek the owner's writes fenced on the old seek are refused; one on the new seek lands and ends the pending seek`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    // given an owner whose fence on the checkpoint alone would pass (it last saw the shard's start)
    await seek(store, app, 0);
    const start = shardStart(0);
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: seq(9), previous: start, now: at(60) }), 'marks made before the seek');
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: undefined, previous: start, finished: true, now: at(60) }), 'nor a finished mark');
    t.is((await stateOf(store, app, 0))?.seekTo, 'TRIM_HORIZON');
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(2), previous: start, seek: 1, now: at(61) }));
    const state = await stateOf(store, app, 0);
    t.is(state?.sequenceNumber, seq(2));
    t.is(state?.seekTo, undefined, 'no longer pending');
    t.is(state?.seek, 1);
  });

  test(`${name}: a takeover after a seek ignores heartbeat checkpoints made before it, and uses those made under it`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'dead', { now: at(1) });
    t.true(await commit(store, app, 0, 'dead', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    await beat(store, app, 'dead', at(3), { checkpoints: { s: { [shardId(0)]: { sequenceNumber: seq(9) } } } });
    // when the shard is sought back, then taken from its dead owner
    await seek(store, app, 0);
    const taken = await acquire(store, app, 0, 'b', { alive: ['b'], now: at(100) });
    t.is(taken?.sequenceNumber, shardStart(0), 'neither the item checkpoint (replaced) nor the heartbeat one from before the seek');
    t.is(taken?.seekTo, 'TRIM_HORIZON');
    t.is(taken?.owner, 'b');
    // and a restarted owner does not get its own pre-seek marks back either
    await beat(store, app, 'b', at(101), { checkpoints: { s: { [shardId(0)]: { sequenceNumber: seq(20) } } } });
    await seek(store, app, 0, { now: at(102) });
    t.is((await acquire(store, app, 0, 'b', { alive: [], now: at(200) }))?.sequenceNumber, shardStart(0));
    // but marks made under the current seek count as before
    await beat(store, app, 'b', at(201), { checkpoints: { s: { [shardId(0)]: { sequenceNumber: seq(3) } } }, seeks: { s: { [shardId(0)]: 2 } } });
    const again = await acquire(store, app, 0, 'c', { alive: ['c'], now: at(300) });
    t.is(again?.sequenceNumber, seq(3));
    t.is(again?.seekTo, undefined, 'a position made under the seek ends the pending seek');
  });

  test(`${name}: pruning a dead client writes only heartbeat checkpoints made under the shard's current seek`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'gone', { now: at(1) });
    await acquire(store, app, 1, 'gone', { now: at(1) });
    await seek(store, app, 0, { now: at(2) });
    await seek(store, app, 1, { now: at(2) });
    await beat(store, app, 'gone', at(3), {
      checkpoints: { s: { [shardId(0)]: { sequenceNumber: seq(9) }, [shardId(1)]: { sequenceNumber: seq(7) } } },
      seeks: { s: { [shardId(1)]: 1 } },
    });
    t.deepEqual(await run(store.pruneClients(app, at(10))), ['gone']);
    t.is((await stateOf(store, app, 0))?.sequenceNumber, shardStart(0), 'shard 0: made before the seek');
    t.is((await stateOf(store, app, 1))?.sequenceNumber, seq(7), 'shard 1: made under it');
  });
}
