/**
 * The leader prunes dead clients at its first round as leader and then every 6 sync intervals, not
 * every round: a marble test of the frames of its pruneClients calls (default timings: a round every
 * 5000 ms), with a member that crashes so that there is someone to prune.
 */
import test from 'ava';
import { from, of, tap, type Subscription } from 'rxjs';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import type { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { fakeKinesis } from '../helpers/kit.js';
import { testScheduler } from '../helpers/marbles.js';
import type { TestScheduler } from 'rxjs/testing';

function member(scheduler: TestScheduler, id: string, store: StateStore, kinesis: FakeKinesis): Kinesumer {
  return createKinesumer({ app: 'app', clientId: id, kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', scheduler });
}

/** `store` as seen by one member, with the frames of its pruneClients calls and what each removed. */
function prunesOf(store: MemoryStateStore, now: () => number): { store: StateStore; prunes: Array<[number, string[]]> } {
  const prunes: Array<[number, string[]]> = [];
  const wrapped = Object.create(store) as StateStore;
  wrapped.pruneClients = (app, before) => {
    const at = now();
    return from(store.pruneClients(app, before)).pipe(tap((ids) => prunes.push([at, ids])));
  };
  return { store: wrapped, prunes };
}

test('the leader prunes at its first round as leader and then every 6 sync intervals; a dead client goes at the next of those', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  let prunes: Array<[number, string[]]> = [];
  scheduler.run(() => {
    const kinesis = fakeKinesis(scheduler, { s: 2 });
    const leader = prunesOf(memory, () => scheduler.now());
    prunes = leader.prunes;
    const a = member(scheduler, 'a', leader.store, kinesis);
    const zStore = Object.create(memory) as StateStore;
    const z = member(scheduler, 'z', zStore, kinesis);
    a.consume(['s']).subscribe();
    let subZ: Subscription | undefined;
    scheduler.schedule(() => (subZ = z.consume(['s']).subscribe()), 1000);
    // z stops heartbeating at 7000 without leaving (its last heartbeat at 6000): dead from 16000 on
    scheduler.schedule(() => {
      zStore.deregisterClient = () => of(undefined);
      subZ?.unsubscribe();
    }, 7000);
    scheduler.schedule(() => void a.close(), 65_000);
  });
  t.deepEqual(prunes, [
    [0, []],
    [30_000, ['z']],
    [60_000, []],
  ]);
});
