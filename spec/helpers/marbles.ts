import type { ExecutionContext } from 'ava';
import { TestScheduler } from 'rxjs/testing';

/** One TestScheduler per AVA test, wired to that test's deepEqual (AVA runs tests concurrently). */
export function testScheduler(t: ExecutionContext): TestScheduler {
  return new TestScheduler((actual, expected) => t.deepEqual(actual, expected));
}
