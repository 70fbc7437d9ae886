/** When a client is alive and when it may be pruned (client-liveness.ts): both strict. */
import test from 'ava';
import { isAlive, isExpired } from '../../src/state-store/client-liveness.js';

const at = (ms: number): Date => new Date(Date.UTC(2024, 2, 1) + ms);

const cases: [lastUpdate: number, alive: boolean, expired: boolean][] = [
  [99, false, true],
  [100, false, false],
  [101, true, false],
];

for (const [lastUpdate, alive, expired] of cases) {
  test(`heard from at ${lastUpdate}, cutoff 100: alive ${alive}, expired ${expired}`, (t) => {
    t.is(isAlive(at(lastUpdate), at(100)), alive);
    t.is(isExpired(at(lastUpdate), at(100)), expired);
  });
}
