/**
 * A follower of a stream of many pages (2,500 shards: three pages of the shard cache) reads only
 * the pages whose digest changed, with the shard states of their ranges, and one page in turn
 * every 13 rounds; never the whole list at steady state. Two groupSync loops on a TestScheduler
 * over one in-memory store (calls logged by frame), a round every 1000 ms.
 */
import test from 'ava';
import { of, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { ShardDescription } from '../../src/kinesis/kinesis-api.js';
import { groupSync } from '../../src/group/group-sync.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { openShards } from '../helpers/fake-kinesis.js';
import { testScheduler } from '../helpers/marbles.js';
import { kinesisDouble, loggedStore } from './group-doubles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;

function member(scheduler: TestScheduler, id: string, store: StateStore, shards: () => ShardDescription[], log: string[]): Observable<unknown> {
  return groupSync({
    app: 'app',
    clientId: id,
    store,
    kinesis: kinesisDouble(() => scheduler.now(), log, () => of(shards())),
    scheduler,
    syncInterval: 1000,
    clientTimeout: 3000,
    streams: () => ['s'],
    report: () => undefined,
    initialLatest: false,
    beat: (digests) => store.heartbeat!('app', id, new Date(scheduler.now()), digests === undefined ? { checkpoints: {} } : { checkpoints: {}, digests }),
  });
}

/** The follower's reads of the stream, by frame: `getShards`, `getShardPage N`, `listShardStates <from>-<before>` (last digits of the ids). */
function reads(log: string[]): string[] {
  return log.filter((l) => /^\d+ (getShards|getShardPage|listShardStates) /.test(l));
}

test('a follower of 2,500 shards reads only the page that changed, and one page in turn every 13 rounds', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const leaderLog: string[] = [];
  const followerLog: string[] = [];
  let shards = openShards(2500);
  scheduler.run(() => {
    const a = member(scheduler, 'a', loggedStore(memory, () => scheduler.now(), leaderLog), () => shards, leaderLog).subscribe();
    const b = member(scheduler, 'b', loggedStore(memory, () => scheduler.now(), followerLog), () => shards, followerLog).subscribe();
    // a shard added at 5500 (it lands on the last page): the leader caches it at 6000
    scheduler.schedule(() => (shards = openShards(2501)), 5500);
    scheduler.schedule(() => [a, b].forEach((s) => s.unsubscribe()), 20_500);
  });
  const got = reads(followerLog);
  // b reads everything at its first round, and in the next (a's digest at 0 was not out yet)
  t.deepEqual(got.filter((l) => l.startsWith('0 ')), ['0 getShards s', '0 listShardStates s']);
  // after the change, the last page only: its shards and the states of its range of ids
  t.deepEqual(got.filter((l) => l.startsWith('6000 ') || l.startsWith('7000 ')), ['6000 getShardPage s 2', '6000 listShardStates s 2000..']);
  // nothing whole after the first rounds
  t.deepEqual(got.filter((l) => l.includes('getShards')).map((l) => Number(l.split(' ')[0])).filter((at) => at > 1000), []);
  // and one page every 13 rounds: 13 rounds after the read at 6000
  t.deepEqual(got.filter((l) => Number(l.split(' ')[0]) > 7000), ['19000 getShardPage s 0', '19000 listShardStates s ..1000']);
  t.is(S(2000).slice(-4), '2000');
});
