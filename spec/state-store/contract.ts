/**
 * The behaviour every StateStore must have, as AVA tests run against each implementation
 * (DynamoDB on dynalite, memory). Each test uses its own app name, so the tests of one file can
 * run concurrently against one table.
 */
import type { ExecutionContext, TestFn } from 'ava';
import { from, lastValueFrom, type ObservableInput } from 'rxjs';
import { StateStoreError } from '../../src/errors.js';
import type { Checkpoint, ShardCommit, ShardState, StateStore } from '../../src/state-store/state-store.js';

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

/** A sequence number built from `n`; a larger `n` is a later record. */
export function seq(n: number): string {
  return `4959033827149025660855969253836157109592157598913658${String(n).padStart(4, '0')}`;
}

/** A checkpoint of `shard` with a sequence number built from `n`. */
export function checkpoint(shard: number, n: number, lastUpdate = at(0)): Checkpoint {
  return { shardId: shardId(shard), sequenceNumber: seq(n), lastUpdate };
}

/** A starting sequence number for shard `n` (of one incarnation of a stream). */
export function shardStart(n: number, incarnation = 0): string {
  return `${49590000 + incarnation}${String(n).padStart(12, '0')}`;
}

/**
 * `store.acquireShard` for `clientId`, run to completion. The clients in `alive` heartbeat at
 * `now` first; every other client's last heartbeat is older than `aliveSince` (`now` - 1 ms).
 * `seenFree` is passed on as the caller's hint.
 */
export async function acquire(
  store: StateStore,
  app: string,
  shard: number,
  clientId: string,
  options: { alive?: readonly string[]; now?: Date; start?: string | undefined; seenFree?: boolean } = {},
): Promise<ShardState | undefined> {
  const now = options.now ?? at(0);
  for (const id of options.alive ?? [clientId]) await run(store.pingClient(app, id, now));
  return run(
    store.acquireShard(app, 's', shardId(shard), {
      clientId,
      aliveSince: new Date(now.getTime() - 1),
      shardStart: 'start' in options ? options.start : shardStart(shard),
      now,
      ...(options.seenFree !== undefined && { seenFree: options.seenFree }),
    }),
  );
}

const acquireOnce = acquire;

/** `store.commitShard` for `clientId`, run to completion. */
export function commit(
  store: StateStore,
  app: string,
  shard: number,
  clientId: string,
  commit: Partial<Omit<ShardCommit, 'clientId'>> & Pick<ShardCommit, 'previous'>,
): Promise<boolean> {
  return run(
    store.commitShard(app, 's', shardId(shard), {
      clientId,
      sequenceNumber: 'sequenceNumber' in commit ? commit.sequenceNumber : seq(1),
      ...(commit.subSequenceNumber !== undefined && { subSequenceNumber: commit.subSequenceNumber }),
      ...(commit.precedingSequenceNumber !== undefined && { precedingSequenceNumber: commit.precedingSequenceNumber }),
      previous: commit.previous,
      finished: commit.finished ?? false,
      now: commit.now ?? at(0),
      ...(commit.seek !== undefined && { seek: commit.seek }),
    }),
  );
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

  test(`${name}: listClients lists every registered client with its last heartbeat, alive or not, sorted by id`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const listClients = store.listClients?.bind(store);
    if (listClients === undefined) return t.fail(`${name} has no listClients`);
    t.deepEqual(await run(listClients(app)), [], 'none before the first ping');
    // given two clients, one pinged twice, and one that left
    await run(store.pingClient(app, 'b', at(1000)));
    await run(store.pingClient(app, 'a', at(2000)));
    await run(store.pingClient(app, 'b', at(9000)));
    await run(store.pingClient(app, 'c', at(3000)));
    await run(store.deregisterClient(app, 'c'));
    await run(store.pingClient(uniqueApp(), 'other-app', at(0)));
    // then the latest heartbeat of each, whether or not it is still alive
    t.deepEqual(await run(listClients(app)), [
      { clientId: 'a', lastUpdate: at(2000) },
      { clientId: 'b', lastUpdate: at(9000) },
    ]);
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

  test(`${name}: updateShards then getShards round-trips the list, parents and starting sequence numbers included, in order`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const shards = [
      { id: shardId(2), closed: false, parentShardId: shardId(0) },
      { id: shardId(0), closed: true },
      { id: shardId(1), closed: true },
      { id: shardId(3), closed: false, parentShardId: shardId(1), adjacentParentShardId: shardId(2) },
      { id: shardId(4), closed: false, startingSequenceNumber: shardStart(4) },
      {
        id: shardId(5),
        closed: true,
        parentShardId: shardId(3),
        adjacentParentShardId: shardId(4),
        startingSequenceNumber: shardStart(5),
      },
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

  // -------------------------------------------------------------------------------------------
  // shard states: ownership, fenced commits

  // Every acquire test runs twice: as is, and with the caller's hint that the shard was seen free,
  // which is right for some tests and out of date for others (a live or dead owner, finished):
  // the outcome must be the same either way.
  for (const seenFree of [false, true]) {
    const title = seenFree ? `${name} (seenFree hint)` : name;
    const acquire: typeof acquireOnce = (store, app, shard, clientId, options = {}) =>
      acquireOnce(store, app, shard, clientId, { ...options, seenFree });
    test(`${title}: acquireShard takes a shard nobody has state for`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      const expected: ShardState = { shardId: shardId(0), owner: 'a', finished: false, shardStart: shardStart(0), lastUpdate: at(5) };
      t.deepEqual(await acquire(store, app, 0, 'a', { now: at(5) }), expected);
      t.deepEqual(await run(store.listShardStates(app, 's')), [expected]);
      t.deepEqual(await run(store.listShardStates(app, 'other')), [], 'per stream');
      t.deepEqual(await run(store.getCheckpoints(app, 's')), [], 'an owner alone is no checkpoint');
      t.deepEqual(await run(store.getCheckpoints(app, 's', [shardId(0)])), []);
    });

    test(`${title}: acquireShard by the owner again succeeds and refreshes last update and shard start`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      await acquire(store, app, 0, 'a', { now: at(5) });
      // 'a' is not in the alive list it passes, and still gets its own shard
      const again = await acquire(store, app, 0, 'a', { alive: ['b'], now: at(9), start: shardStart(0, 1) });
      t.deepEqual(again, { shardId: shardId(0), owner: 'a', finished: false, shardStart: shardStart(0, 1), lastUpdate: at(9) });
      // without a shard start, the stored one is kept
      const kept = await acquire(store, app, 0, 'a', { now: at(10), start: undefined });
      t.is(kept?.shardStart, shardStart(0, 1));
      t.deepEqual(await run(store.listShardStates(app, 's')), [kept]);
    });

    test(`${title}: acquireShard takes a shard from an owner that is not alive, keeping the checkpoint`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      await acquire(store, app, 0, 'dead', { now: at(1) });
      t.true(await commit(store, app, 0, 'dead', { sequenceNumber: seq(7), previous: undefined, now: at(2) }));
      const taken = await acquire(store, app, 0, 'b', { alive: ['a', 'b'], now: at(3) });
      t.deepEqual(taken, {
        shardId: shardId(0),
        sequenceNumber: seq(7),
        owner: 'b',
        finished: false,
        shardStart: shardStart(0),
        lastUpdate: at(3),
      });
      t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(7), lastUpdate: at(3) }]);
    });

    test(`${title}: acquireShard does not take a shard a live client holds`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      const held = await acquire(store, app, 0, 'a', { now: at(1) });
      t.is(await acquire(store, app, 0, 'b', { alive: ['a', 'b'], now: at(2) }), undefined);
      t.deepEqual(await run(store.listShardStates(app, 's')), [held], 'nothing changed');
    });

    test(`${title}: acquireShard does not take a finished shard, whoever asks`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      await acquire(store, app, 0, 'a');
      t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(3), previous: undefined, finished: true, now: at(4) }));
      t.is(await acquire(store, app, 0, 'a', { now: at(5) }), undefined, 'not even its owner');
      t.is(await acquire(store, app, 0, 'b', { alive: ['b'], now: at(5) }), undefined, 'nor anyone when the owner is dead');
      await run(store.releaseShard(app, 's', shardId(0), 'a'));
      t.is(await acquire(store, app, 0, 'b', { now: at(6) }), undefined, 'nor anyone once released');
      t.deepEqual(await run(store.listShardStates(app, 's')), [
        { shardId: shardId(0), sequenceNumber: seq(3), finished: true, shardStart: shardStart(0), lastUpdate: at(4) },
      ]);
    });

    test(`${title}: acquireShard keeps a checkpoint written with updateCheckpoints (kinesumer's item)`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      await run(store.updateCheckpoints(app, 's', [checkpoint(0, 5, at(1))]));
      t.deepEqual(await run(store.listShardStates(app, 's')), [
        { shardId: shardId(0), sequenceNumber: seq(5), finished: false, lastUpdate: at(1) },
      ]);
      t.deepEqual(await acquire(store, app, 0, 'a', { now: at(2) }), {
        shardId: shardId(0),
        sequenceNumber: seq(5),
        owner: 'a',
        finished: false,
        shardStart: shardStart(0),
        lastUpdate: at(2),
      });
    });

    test(`${title}: acquireShard drops a checkpoint and finished mark written for an older shard of that id, and still respects its live owner`, async (t) => {
      const store = await open(t);
      const app = uniqueApp();
      // given state left by the stream's previous incarnation (shards starting at shardStart(n, 0))
      for (const [shard, finished] of [[0, false], [1, true]] as const) {
        await acquire(store, app, shard, 'x', { start: shardStart(shard, 0) });
        t.true(await commit(store, app, shard, 'x', { sequenceNumber: seq(5), previous: undefined, finished }));
        await run(store.releaseShard(app, 's', shardId(shard), 'x'));
      }
      await acquire(store, app, 3, 'live', { start: shardStart(3, 0), now: at(1) });
      t.true(await commit(store, app, 3, 'live', { sequenceNumber: seq(1), previous: undefined }));
      // and kinesumer's items without a shard start: one behind the new shard's start, one after it
      await run(store.updateCheckpoints(app, 's', [{ shardId: shardId(2), sequenceNumber: '12345', lastUpdate: at(0) }, checkpoint(4, 7)]));
      // when the shards of the new incarnation (starting at shardStart(n, 1)) are taken
      const taken = await Promise.all(
        [0, 1, 2, 4].map((shard) => acquire(store, app, shard, 'a', { start: shardStart(shard, 1), now: at(2) })),
      );
      // then the older shards' checkpoints and finished marks are gone, in the store too
      for (const [i, shard] of [0, 1, 2].entries()) {
        t.deepEqual(taken[i], { shardId: shardId(shard), owner: 'a', finished: false, shardStart: shardStart(shard, 1), lastUpdate: at(2) }, `shard ${shard}`);
      }
      // and a checkpoint at or after the shard's start is this shard's: kept
      t.is(taken[3]?.sequenceNumber, seq(7));
      const stored = await run(store.listShardStates(app, 's'));
      t.deepEqual(stored.filter((s) => s.sequenceNumber !== undefined).map((s) => s.shardId), [shardId(3), shardId(4)]);
      // and a live owner keeps even a shard whose state is an older shard's
      t.is(await acquire(store, app, 3, 'a', { alive: ['a', 'live'], start: shardStart(3, 1), now: at(2) }), undefined);
    });

    for (const [given, setUp] of [
      ['no state', async () => {}],
      ['a released shard with a checkpoint', async (store: StateStore, app: string, shard: number) => {
        await acquire(store, app, shard, 'x');
        await commit(store, app, shard, 'x', { sequenceNumber: seq(1), previous: undefined });
        await run(store.releaseShard(app, 's', shardId(shard), 'x'));
      }],
      ['a dead owner', async (store: StateStore, app: string, shard: number) => {
        await acquire(store, app, shard, 'dead');
      }],
    ] as const) {
      test(`${title}: of two clients racing to acquire a shard (${given}), exactly one gets it`, async (t) => {
        const store = await open(t);
        const app = uniqueApp();
        for (let shard = 0; shard < 10; shard++) {
          await setUp(store, app, shard);
          const alive = ['a', 'b'];
          const [a, b] = await Promise.all([
            acquire(store, app, shard, 'a', { alive, now: at(10) }),
            acquire(store, app, shard, 'b', { alive, now: at(10) }),
          ]);
          const winners = [a, b].filter((r) => r !== undefined);
          t.is(winners.length, 1, `shard ${shard}: ${JSON.stringify([a, b])}`);
          const [state] = (await run(store.listShardStates(app, 's'))).filter((s) => s.shardId === shardId(shard));
          t.is(state?.owner, winners[0]?.owner);
        }
      });
    }
  }

  test(`${name}: releaseShard frees the shard only for its owner, keeping the rest`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(2), previous: undefined, now: at(2) }));
    const held = await run(store.listShardStates(app, 's'));

    // when someone else releases it, nothing happens
    await run(store.releaseShard(app, 's', shardId(0), 'b'));
    t.deepEqual(await run(store.listShardStates(app, 's')), held);

    // when its owner does
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: seq(2), finished: false, shardStart: shardStart(0), lastUpdate: at(2) },
    ]);
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    // a released shard is free for anyone
    t.is((await acquire(store, app, 0, 'b', { alive: ['a', 'b'] }))?.owner, 'b');
  });

  // kinesumer (Go) reads every checkpoint item it finds and resumes AFTER its sequence_number
  // (missing: ""), so no shard state may be left without a checkpoint (getCheckpoints is what it reads).
  test(`${name}: releaseShard of a shard without a checkpoint makes its shard start the checkpoint, and keeps the state`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    // the state stays (the group read this shard's lineage); AFTER the shard start reads it whole
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: shardStart(0), finished: false, shardStart: shardStart(0), lastUpdate: at(1) },
    ]);
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: shardStart(0), lastUpdate: at(1) }]);
    // and the next taker resumes after it, as from a checkpoint
    t.is((await acquire(store, app, 0, 'b', { alive: ['b'], now: at(2) }))?.sequenceNumber, shardStart(0));
    // a shard taken without a known shard start has nothing to stand in: only the owner goes
    await acquire(store, app, 1, 'a', { start: undefined, now: at(3) });
    await run(store.releaseShard(app, 's', shardId(1), 'a'));
    t.deepEqual((await run(store.listShardStates(app, 's')))[1], { shardId: shardId(1), finished: false, lastUpdate: at(3) });
  });

  test(`${name}: a finished shard with no record read keeps its finished mark, and gets its shard start as the checkpoint when released`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: undefined, previous: undefined, finished: true, now: at(2) }));
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: shardStart(0), finished: true, shardStart: shardStart(0), lastUpdate: at(2) },
    ]);
    t.is(await acquire(store, app, 0, 'b', { now: at(3) }), undefined, 'still finished: nobody takes it');
  });

  test(`${name}: releaseShard by another client than the owner leaves a shard without a checkpoint as it is`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const held = await acquire(store, app, 0, 'a', { now: at(1) });
    await run(store.releaseShard(app, 's', shardId(0), 'b'));
    t.deepEqual(await run(store.listShardStates(app, 's')), [held]);
  });

  test(`${name}: releaseShard of a shard without state writes nothing`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    t.deepEqual(await run(store.listShardStates(app, 's')), []);
  });

  test(`${name}: commitShard writes the checkpoint for the owner, each commit fenced by the previous one`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), previous: undefined, now: at(2) }));
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(20), previous: seq(10), now: at(3) }));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(20), lastUpdate: at(3) }]);
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: seq(20), owner: 'a', finished: false, shardStart: shardStart(0), lastUpdate: at(3) },
    ]);
  });

  test(`${name}: a partly processed KPL aggregate keeps its sub-sequence next to the sequence number`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), subSequenceNumber: 3, previous: undefined, now: at(2) }));
    t.like((await run(store.listShardStates(app, 's')))[0], { sequenceNumber: seq(10), subSequenceNumber: 3 });
    // the aggregate processed whole: the sub-sequence goes away
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), previous: seq(10), now: at(3) }));
    const [state] = await run(store.listShardStates(app, 's'));
    t.is(state?.sequenceNumber, seq(10));
    t.false(state !== undefined && 'subSequenceNumber' in state);
    // kinesumer still reads a plain checkpoint
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(10), lastUpdate: at(3) }]);
  });

  test(`${name}: inside a partly processed aggregate, kinesumer reads the record before it; the position is the aggregate and fences the next commit`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), subSequenceNumber: 3, precedingSequenceNumber: seq(9), previous: undefined, now: at(2) }));
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: seq(10), subSequenceNumber: 3, precedingSequenceNumber: seq(9), owner: 'a', finished: false, shardStart: shardStart(0), lastUpdate: at(2) },
    ]);
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(9), lastUpdate: at(2) }], "kinesumer's");
    // the fence is the position (the aggregate), not kinesumer's checkpoint
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), subSequenceNumber: 5, precedingSequenceNumber: seq(9), previous: seq(9), now: at(3) }));
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), subSequenceNumber: 5, precedingSequenceNumber: seq(9), previous: seq(10), now: at(3) }));
    t.like((await run(store.listShardStates(app, 's')))[0], { sequenceNumber: seq(10), subSequenceNumber: 5, precedingSequenceNumber: seq(9) });
    // released inside the aggregate: kept as it is
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    const taken = await acquire(store, app, 0, 'b', { alive: ['b'], now: at(4) });
    t.like(taken, { sequenceNumber: seq(10), subSequenceNumber: 5, precedingSequenceNumber: seq(9) });
    // processed whole: a plain checkpoint again
    t.true(await commit(store, app, 0, 'b', { sequenceNumber: seq(12), previous: seq(10), now: at(5) }));
    const [state] = await run(store.listShardStates(app, 's'));
    t.deepEqual(state, { shardId: shardId(0), sequenceNumber: seq(12), owner: 'b', finished: false, shardStart: shardStart(0), lastUpdate: at(5) });
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(12), lastUpdate: at(5) }]);
  });

  test(`${name}: a position inside an aggregate written the older way (no checkpoint before it) is read and moved on from as before`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), subSequenceNumber: 3, previous: undefined, now: at(2) }));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(10), lastUpdate: at(2) }]);
    t.like((await run(store.listShardStates(app, 's')))[0], { sequenceNumber: seq(10), subSequenceNumber: 3 });
    // the next commit in that aggregate adds kinesumer's checkpoint
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), subSequenceNumber: 4, precedingSequenceNumber: shardStart(0), previous: seq(10), now: at(3) }));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: shardStart(0), lastUpdate: at(3) }]);
  });

  test(`${name}: commitShard by another client than the owner is refused (false) and changes nothing`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), previous: undefined, now: at(2) }));
    const before = await run(store.listShardStates(app, 's'));
    t.false(await commit(store, app, 0, 'b', { sequenceNumber: seq(20), previous: seq(10), now: at(3) }));
    await run(store.releaseShard(app, 's', shardId(0), 'a'));
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: seq(20), previous: seq(10), now: at(3) }), 'released: nobody owns it');
    t.deepEqual(
      (await run(store.listShardStates(app, 's'))).map((s) => s.sequenceNumber),
      before.map((s) => s.sequenceNumber),
    );
    t.false(await commit(store, app, 1, 'a', { previous: undefined }), 'no state at all');
    t.deepEqual((await run(store.listShardStates(app, 's'))).map((s) => s.shardId), [shardId(0)], 'and none is created');
  });

  test(`${name}: commitShard with a stale previous is refused: a checkpoint never moves backwards`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), previous: undefined, now: at(2) }));
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(20), previous: seq(10), now: at(3) }));
    // a late writer that still believes the checkpoint is 10, or that there is none
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: seq(15), previous: seq(10), now: at(4) }));
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: seq(15), previous: undefined, now: at(4) }));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [{ shardId: shardId(0), sequenceNumber: seq(20), lastUpdate: at(3) }]);
  });

  test(`${name}: commitShard with a previous when none is stored is refused`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a');
    t.false(await commit(store, app, 0, 'a', { sequenceNumber: seq(20), previous: seq(10) }));
    t.deepEqual(await run(store.getCheckpoints(app, 's')), []);
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(20), previous: undefined }));
  });

  test(`${name}: commitShard records a finished shard, with or without a last sequence number`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a', { now: at(1) });
    await acquire(store, app, 1, 'a', { now: at(1) });
    await acquire(store, app, 2, 'a', { now: at(1) });
    t.true(await commit(store, app, 0, 'a', { sequenceNumber: seq(10), previous: undefined, finished: true, now: at(2) }));
    // a shard that ended with no record read: finished, with no checkpoint or the one it had
    t.true(await commit(store, app, 1, 'a', { sequenceNumber: undefined, previous: undefined, finished: true, now: at(3) }));
    t.true(await commit(store, app, 2, 'a', { sequenceNumber: seq(5), previous: undefined, now: at(2) }));
    t.true(await commit(store, app, 2, 'a', { sequenceNumber: undefined, previous: seq(5), finished: true, now: at(4) }));
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: seq(10), owner: 'a', finished: true, shardStart: shardStart(0), lastUpdate: at(2) },
      { shardId: shardId(1), owner: 'a', finished: true, shardStart: shardStart(1), lastUpdate: at(3) },
      { shardId: shardId(2), sequenceNumber: seq(5), owner: 'a', finished: true, shardStart: shardStart(2), lastUpdate: at(4) },
    ]);
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [
      { shardId: shardId(0), sequenceNumber: seq(10), lastUpdate: at(2) },
      { shardId: shardId(2), sequenceNumber: seq(5), lastUpdate: at(4) },
    ]);
  });

  test(`${name}: commitShard refuses a bad sequence number, or none without finished (not retriable)`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a');
    const bad = await t.throwsAsync(run(store.commitShard(app, 's', shardId(0), {
      clientId: 'a', sequenceNumber: '12ab', previous: undefined, finished: false, now: at(0),
    })), { instanceOf: StateStoreError });
    t.false(bad?.retriable);
    t.regex(bad?.message ?? '', /shardId-000000000000.*not a decimal string/);
    const none = await t.throwsAsync(run(store.commitShard(app, 's', shardId(0), {
      clientId: 'a', sequenceNumber: undefined, previous: undefined, finished: false, now: at(0),
    })), { instanceOf: StateStoreError });
    t.false(none?.retriable);
    t.deepEqual(await run(store.getCheckpoints(app, 's')), []);
  });

  test(`${name}: listShardStates lists many shards (45) in shard-id order`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const expected: ShardState[] = [];
    // in reverse, so that the order comes from the store
    for (let i = 44; i >= 0; i--) {
      await acquire(store, app, i, `client-${i % 3}`, { now: at(i) });
      if (i % 2 === 0) await commit(store, app, i, `client-${i % 3}`, { sequenceNumber: seq(i), previous: undefined, now: at(100 + i) });
      expected.unshift({
        shardId: shardId(i),
        ...(i % 2 === 0 ? { sequenceNumber: seq(i) } : {}),
        owner: `client-${i % 3}`,
        finished: false,
        shardStart: shardStart(i),
        lastUpdate: at(i % 2 === 0 ? 100 + i : i),
      });
    }
    t.deepEqual(await run(store.listShardStates(app, 's')), expected);
    t.is((await run(store.getCheckpoints(app, 's'))).length, 23);
  });

  test(`${name}: deleteShardStates deletes the given shards' states (60: more than one batch)`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await run(store.updateCheckpoints(app, 's', Array.from({ length: 65 }, (_, i) => checkpoint(i, i))));
    await acquire(store, app, 70, 'a');
    const doomed = [...Array.from({ length: 60 }, (_, i) => shardId(i)), shardId(70), shardId(99), shardId(0)];
    await run(store.deleteShardStates(app, 's', doomed));
    t.deepEqual(
      (await run(store.listShardStates(app, 's'))).map((s) => s.shardId),
      [60, 61, 62, 63, 64].map(shardId),
    );
    t.deepEqual(await run(store.getCheckpoints(app, 's')), [60, 61, 62, 63, 64].map((i) => checkpoint(i, i)));
    await run(store.deleteShardStates(app, 's', []));
    await run(store.deleteShardStates(app, 'no-such-stream', [shardId(60)]));
    t.is((await run(store.listShardStates(app, 's'))).length, 5);
  });

  test(`${name}: updateCheckpoints replaces a shard's whole state, as kinesumer's put does`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    await acquire(store, app, 0, 'a');
    await run(store.updateCheckpoints(app, 's', [checkpoint(0, 9, at(9))]));
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), sequenceNumber: seq(9), finished: false, lastUpdate: at(9) },
    ]);
  });

  test(`${name}: callers cannot change stored shard states through the objects they got`, async (t) => {
    const store = await open(t);
    const app = uniqueApp();
    const got = await acquire(store, app, 0, 'a', { now: at(1) });
    got!.lastUpdate!.setTime(0);
    got!.owner = 'changed';
    const [listed] = await run(store.listShardStates(app, 's'));
    listed!.lastUpdate!.setTime(0);
    t.deepEqual(await run(store.listShardStates(app, 's')), [
      { shardId: shardId(0), owner: 'a', finished: false, shardStart: shardStart(0), lastUpdate: at(1) },
    ]);
  });
}
