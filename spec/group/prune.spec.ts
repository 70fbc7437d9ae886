/** The prune cadence and the prune call. */
import test from 'ava';
import { throwError } from 'rxjs';
import type { KinesumerError } from '../../src/errors.js';
import { PruneCadence, pruneDeadClients } from '../../src/group/prune.js';
import { storeCall } from '../../src/group/store-call.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { testScheduler } from '../helpers/marbles.js';

test('the leader prunes at its first round as leader, then at the first round `every` ms after the last prune', (t) => {
  const cadence = new PruneCadence(6000);
  t.false(cadence.due(0, false, false), 'a follower never prunes');
  t.true(cadence.due(1000, true, false));
  t.false(cadence.due(2000, true, false));
  t.false(cadence.due(6999, true, false));
  t.true(cadence.due(7000, true, false));
  t.false(cadence.due(8000, true, false));
});

test('nobody prunes while regaining the store, and the last prune still counts after it; losing the lead forgets it', (t) => {
  const cadence = new PruneCadence(6000);
  t.true(cadence.due(0, true, false));
  t.false(cadence.due(6000, true, true));
  t.true(cadence.due(7000, true, false));
  // a follower for one round: leading again, it prunes at once
  t.false(cadence.due(8000, false, false));
  t.true(cadence.due(9000, true, false));
});

test('a prune removes the clients whose heartbeat is older than `before`; a failure is reported', (t) => {
  const scheduler = testScheduler(t);
  const memory = new MemoryStateStore();
  const reports: KinesumerError[] = [];
  memory.pingClient('app', 'old', new Date(999)).subscribe();
  memory.pingClient('app', 'new', new Date(1000)).subscribe();
  pruneDeadClients(memory, 'app', 1000, storeCall(3000, scheduler), (e) => reports.push(e)).subscribe({ next: () => t.fail() });
  t.deepEqual(memory.snapshot().clients, { app: { new: new Date(1000) } });
  const failing = Object.create(memory) as StateStore;
  failing.pruneClients = () => throwError(() => new Error('down'));
  let completed = false;
  pruneDeadClients(failing, 'app', 1000, storeCall(3000, scheduler), (e) => reports.push(e)).subscribe({ complete: () => (completed = true) });
  t.true(completed);
  t.deepEqual(reports.map((e) => e.message), ['State store pruneClients failed: Error: down']);
});
