/**
 * Short hands for the project's own specs over the public test kit (`FakeKinesis` of
 * `rx-kinesumer/testing`): streams created at once, and records put on a chosen shard.
 */
import type { SchedulerLike } from 'rxjs';
import { FakeKinesis } from '../../src/testing/fake-kinesis.js';

/** A FakeKinesis on `scheduler` with `streams` created: stream name → number of shards. */
export function fakeKinesis(scheduler: SchedulerLike, streams: Record<string, number>): FakeKinesis {
  const kinesis = new FakeKinesis({ scheduler });
  for (const [name, shards] of Object.entries(streams)) kinesis.createStream(name, { shards });
  return kinesis;
}

/**
 * Puts `count` records (`record <i>`, partition key `pk-<i>`, from `from` on) on shard number
 * `shard` of `stream`, routed there by its starting hash key. @returns Their sequence numbers.
 */
export function putOn(kinesis: FakeKinesis, stream: string, shard: number, count: number, from = 0): string[] {
  const explicitHashKey = kinesis.describeShards(stream)[shard]!.startingHashKey;
  return Array.from({ length: count }, (_, i) => kinesis.putRecord(stream, { partitionKey: `pk-${from + i}`, data: `record ${from + i}`, explicitHashKey }).sequenceNumber);
}
