/**
 * The data of one stream of {@link FakeKinesis}: shards with hash-key ranges, their records with
 * sequence numbers, and resharding (split and merge close the parents and open children, as
 * Kinesis does). Kept apart from the seam so that the model is small and plain.
 */
import { createHash } from 'node:crypto';
import type { _Record } from '@aws-sdk/client-kinesis';
import type { ShardDescription } from '../kinesis/kinesis-api.js';

/** The hash-key space of a stream: 0 to 2^128 - 1, as the MD5 of a partition key. */
const HASH_SPACE = 1n << 128n;

/** One record of a fake shard. */
export interface FakeRecord {
  record: _Record;
  /** The sequence number as a number, for comparisons. */
  seq: bigint;
  arrival: number;
}

/** One shard of a fake stream. */
export interface FakeShard {
  shardId: string;
  parentShardId: string | undefined;
  adjacentParentShardId: string | undefined;
  startingHashKey: bigint;
  endingHashKey: bigint;
  startingSequenceNumber: string;
  /** Set when a split or merge closed the shard. */
  endingSequenceNumber: string | undefined;
  records: FakeRecord[];
}

/** A shard as {@link FakeKinesis.describeShards} shows it: its description and hash-key range. */
export interface FakeShardDescription extends ShardDescription {
  startingHashKey: string;
  endingHashKey: string;
}

/** The hash key Kinesis routes `partitionKey` by: the MD5 of its UTF-8 bytes as a 128-bit number. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** `shardId-000000000007` for 7, as Kinesis names shards. */
export const shardIdOf = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;

/** A stream of {@link FakeKinesis}. */
export class FakeStream {
  readonly shards: FakeShard[] = [];

  constructor(
    readonly name: string,
    shardCount: number,
    /** The next sequence number of the whole fake (shared by its streams, always increasing). */
    private readonly nextSeq: () => bigint,
  ) {
    const width = HASH_SPACE / BigInt(shardCount);
    for (let i = 0; i < shardCount; i++) {
      const end = i === shardCount - 1 ? HASH_SPACE - 1n : BigInt(i + 1) * width - 1n;
      this.open(BigInt(i) * width, end, undefined, undefined);
    }
  }

  /** The shard named `shardId`, or `undefined`. */
  shard(shardId: string): FakeShard | undefined {
    return this.shards.find((s) => s.shardId === shardId);
  }

  /** The open shard whose range holds `hashKey`. */
  route(hashKey: bigint): FakeShard {
    const shard = this.shards.find((s) => s.endingSequenceNumber === undefined && s.startingHashKey <= hashKey && hashKey <= s.endingHashKey);
    if (shard === undefined) throw new RangeError(`hash key ${hashKey} is outside 0 to 2^128 - 1`);
    return shard;
  }

  /** Appends a record to the open shard of its hash key, arrived at `now`; returns the shard and the record. */
  put(partitionKey: string, data: Uint8Array, hashKey: bigint, now: number): { shard: FakeShard; added: FakeRecord } {
    const shard = this.route(hashKey);
    const seq = this.nextSeq();
    const added: FakeRecord = {
      seq,
      arrival: now,
      record: { SequenceNumber: seq.toString(), PartitionKey: partitionKey, Data: data, ApproximateArrivalTimestamp: new Date(now) },
    };
    shard.records.push(added);
    return { shard, added };
  }

  /** Closes `shardId` and opens two children split at `at` (default: the middle of its range). */
  split(shardId: string, at?: bigint): [string, string] {
    const parent = this.openShard(shardId, 'splitShard');
    const middle = at ?? parent.startingHashKey + (parent.endingHashKey - parent.startingHashKey + 1n) / 2n;
    if (middle <= parent.startingHashKey || middle > parent.endingHashKey) {
      throw new RangeError(`splitShard: the new starting hash key ${middle} is not inside ${shardId}'s range`);
    }
    this.close(parent);
    const low = this.open(parent.startingHashKey, middle - 1n, parent.shardId, undefined);
    const high = this.open(middle, parent.endingHashKey, parent.shardId, undefined);
    return [low.shardId, high.shardId];
  }

  /** Closes two adjacent shards and opens their merged child. */
  merge(shardId: string, adjacentShardId: string): string {
    const a = this.openShard(shardId, 'mergeShards');
    const b = this.openShard(adjacentShardId, 'mergeShards');
    const [low, high] = a.startingHashKey < b.startingHashKey ? [a, b] : [b, a];
    if (low.endingHashKey + 1n !== high.startingHashKey) throw new RangeError(`mergeShards: ${shardId} and ${adjacentShardId} are not adjacent`);
    this.close(a);
    this.close(b);
    return this.open(low.startingHashKey, high.endingHashKey, a.shardId, b.shardId).shardId;
  }

  /** The shards as ListShards describes them, with their hash-key ranges. */
  describe(): FakeShardDescription[] {
    return this.shards.map((s) => ({
      shardId: s.shardId,
      parentShardId: s.parentShardId,
      adjacentParentShardId: s.adjacentParentShardId,
      closed: s.endingSequenceNumber !== undefined,
      startingSequenceNumber: s.startingSequenceNumber,
      startingHashKey: s.startingHashKey.toString(),
      endingHashKey: s.endingHashKey.toString(),
    }));
  }

  private openShard(shardId: string, operation: string): FakeShard {
    const shard = this.shard(shardId);
    if (shard === undefined) throw new RangeError(`${operation}: stream "${this.name}" has no shard ${shardId}`);
    if (shard.endingSequenceNumber !== undefined) throw new RangeError(`${operation}: ${shardId} of stream "${this.name}" is closed already`);
    return shard;
  }

  private open(start: bigint, end: bigint, parentShardId: string | undefined, adjacentParentShardId: string | undefined): FakeShard {
    const shard: FakeShard = {
      shardId: shardIdOf(this.shards.length),
      parentShardId,
      adjacentParentShardId,
      startingHashKey: start,
      endingHashKey: end,
      startingSequenceNumber: this.nextSeq().toString(),
      endingSequenceNumber: undefined,
      records: [],
    };
    this.shards.push(shard);
    return shard;
  }

  private close(shard: FakeShard): void {
    shard.endingSequenceNumber = this.nextSeq().toString();
  }
}
