/** Membership: whom a round counts as alive, and how the group is listed. */
import test, { type ExecutionContext } from 'ava';
import { of, type Observable } from 'rxjs';
import { aliveSince, confirmedMembership, listMembership, membershipOperation, type Membership } from '../../src/group/membership.js';
import { storeCall } from '../../src/group/store-call.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { testScheduler } from '../helpers/marbles.js';

test('alive means a heartbeat within clientTimeout; while regaining, within clientTimeout of the last heartbeat before the outage', (t) => {
  t.is(aliveSince(10_000, 3000, undefined), 7000);
  t.is(aliveSince(10_000, 3000, 2000), -1000);
  // a lost heartbeat never counts from later than the round itself
  t.is(aliveSince(10_000, 3000, 12_000), 7000);
});

function listed(t: ExecutionContext, store: StateStore, since: number): Membership[] {
  const out: Membership[] = [];
  listMembership(store, 'app', since, storeCall(1000, testScheduler(t))).subscribe((m) => out.push(m));
  return out;
}

test('listGroup lists the clients alive since then, sorted, with the digests of the first of them', (t) => {
  const since: number[] = [];
  const store = Object.create(new MemoryStateStore()) as StateStore;
  store.listGroup = (_app, date) => {
    since.push(date.getTime());
    return of([{ clientId: 'c' }, { clientId: 'a', digests: { s: 'A' } }, { clientId: 'b', digests: { s: 'B' } }]);
  };
  t.is(membershipOperation(store), 'listGroup');
  t.deepEqual(listed(t, store, 500), [{ clients: ['a', 'b', 'c'], leaderDigests: { s: 'A' }, stats: new Map() }]);
  t.deepEqual(since, [500]);
});

test('without listGroup, listAliveClients lists them, sorted, and there are no digests', (t) => {
  const since: number[] = [];
  const store = Object.create(new MemoryStateStore()) as StateStore;
  (store as { listGroup?: unknown }).listGroup = undefined;
  store.listAliveClients = (_app, date) => {
    since.push(date.getTime());
    return of(['b', 'c', 'a']);
  };
  t.is(membershipOperation(store), 'listAliveClients');
  t.deepEqual(listed(t, store, 500), [{ clients: ['a', 'b', 'c'], leaderDigests: undefined, stats: new Map() }]);
  t.deepEqual(since, [500]);
});

test('asked for stats, listGroup is asked for them and each member\'s come back by id', (t) => {
  const asked: unknown[] = [];
  const store = Object.create(new MemoryStateStore()) as StateStore;
  store.listGroup = (_app, _date, options) => {
    asked.push(options);
    return of([{ clientId: 'b', stats: { s: { x: { recordsPerSec: 3 } } } }, { clientId: 'a' }]);
  };
  const out: Membership[] = [];
  listMembership(store, 'app', 0, storeCall(1000, testScheduler(t)), true).subscribe((m) => out.push(m));
  t.deepEqual(out, [{ clients: ['a', 'b'], leaderDigests: undefined, stats: new Map([['b', { s: { x: { recordsPerSec: 3 } } }]]) }]);
  t.deepEqual(asked, [{ stats: true }]);
});

/** A listing function that answers `answers` in turn, and counts its calls. */
function listings(answers: Membership[]): { list: () => Observable<Membership>; calls: () => number } {
  let n = 0;
  return { list: () => of(answers[Math.min(n++, answers.length - 1)]!), calls: () => n };
}

const membership = (clients: string[], digests?: Record<string, string>): Membership => ({ clients, leaderDigests: digests, stats: new Map() });

test('a client of the last view missing from a listing is listed again: one that shows up then still counts, with the leader digests', (t) => {
  // given a listing that leaves a out once (an index entry between its delete and its put)
  const { list, calls } = listings([membership(['b', 'c']), membership(['a', 'b'], { s: 'A' })]);
  const out: Membership[] = [];
  confirmedMembership(list, ['a', 'b', 'c']).subscribe((m) => out.push(m));
  t.is(calls(), 2);
  t.deepEqual(out, [membership(['a', 'b', 'c'], { s: 'A' })]);
});

test('a client missing from both listings is gone; a listing that shows every known client, or more, is not repeated', (t) => {
  const gone = listings([membership(['b']), membership(['b'])]);
  const out: Membership[] = [];
  confirmedMembership(gone.list, ['a', 'b']).subscribe((m) => out.push(m));
  t.is(gone.calls(), 2);
  t.deepEqual(out.map((m) => m.clients), [['b']]);

  const grown = listings([membership(['a', 'b', 'c'], { s: 'A' })]);
  const once: Membership[] = [];
  confirmedMembership(grown.list, ['a', 'b']).subscribe((m) => once.push(m));
  t.is(grown.calls(), 1);
  t.deepEqual(once, [membership(['a', 'b', 'c'], { s: 'A' })]);
});
