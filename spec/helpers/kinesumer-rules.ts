/**
 * A reader that resumes shards the way kinesumer (Go) v0.4.0 does, written from its source, to
 * check that what rx-kinesumer leaves in the table is safe for it:
 *
 * - `ListCheckPoints` is a BatchGetItem of the checkpoint items (pk `check_point#<app>#<stream>`,
 *   sk shard id). Every item that is there puts its `sequence_number` into the shard's checkpoint,
 *   read as a string: guregu/dynamo decodes a missing attribute as Go's zero value, `""`. No other
 *   attribute is read (`sub_sequence_number`, `owner`, ... are ignored).
 * - `getNextShardIterator`: a shard with a checkpoint (even `""`) gets AFTER_SEQUENCE_NUMBER with
 *   it; a shard without an item gets LATEST.
 * - `consumeOnce` delivers each GetRecords page as raw Kinesis records (no KPL de-aggregation);
 *   an empty page on a shard the shard cache marks `Closed` ends the shard. A failed call is sent
 *   to the error channel and tried again (here: counted, and the shard is given up after a few).
 */
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { createRequire } from 'node:module';

/** Where kinesumer starts reading a shard, from its checkpoint item (or its absence). */
export type KinesumerStart = { type: 'LATEST' } | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

/**
 * kinesumer's start for a shard whose checkpoint item is `item` (`undefined`: there is none).
 * @param item The raw item, as GetItem or BatchGetItem return it.
 */
export function kinesumerStartOf(item: Record<string, AttributeValue> | undefined): KinesumerStart {
  if (item === undefined) return { type: 'LATEST' };
  return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: item['sequence_number']?.S ?? '' };
}

/** The checkpoint key of `stream` for `app`, as kinesumer builds it. */
export function goCheckpointKey(app: string, stream: string): string {
  return `check_point#${app}#${stream}`;
}

/** One raw checkpoint item, read the way kinesumer's BatchGetItem sees it. */
export async function rawCheckpointItem(db: DynamoDBClient, table: string, app: string, stream: string, shardId: string): Promise<Record<string, AttributeValue> | undefined> {
  const out = await db.send(new GetItemCommand({ TableName: table, Key: { pk: { S: goCheckpointKey(app, stream) }, sk: { S: shardId } }, ConsistentRead: true }));
  return out.Item;
}

/** kinesumer's `ListCheckPoints`: shard id → checkpoint, for the shards that have an item. */
export async function listCheckPoints(db: DynamoDBClient, table: string, app: string, stream: string, shardIds: readonly string[]): Promise<Map<string, string>> {
  const out = await db.send(
    new BatchGetItemCommand({
      RequestItems: { [table]: { Keys: shardIds.map((id) => ({ pk: { S: goCheckpointKey(app, stream) }, sk: { S: id } })) } },
    }),
  );
  const seqMap = new Map<string, string>();
  for (const item of out.Responses?.[table] ?? []) seqMap.set(item['sk']!.S!, item['sequence_number']?.S ?? '');
  return seqMap;
}

/** What reading one shard by kinesumer's rules gave. */
export interface KinesumerShardRead {
  start: KinesumerStart;
  /** The raw records delivered, in order. */
  records: _Record[];
  /** The errors kinesumer would have sent to its error channel. */
  errors: string[];
}

/**
 * Reads one shard the way kinesumer does, from `start`: pages until an empty one (then, like
 * kinesumer on a shard marked `Closed`, it stops; an open shard would be polled on, which the
 * caller does by putting its records before `atLatest` returns). A LATEST iterator is taken first
 * and `atLatest` runs before the first GetRecords, so records written then are after it.
 */
export async function readShard(
  kinesis: KinesisClient,
  stream: string,
  shardId: string,
  start: KinesumerStart,
  atLatest: () => Promise<void> = async () => {},
): Promise<KinesumerShardRead> {
  const errors: string[] = [];
  const records: _Record[] = [];
  let iterator: string | undefined;
  for (let attempt = 0; attempt < 5 && iterator === undefined; attempt++) {
    try {
      const out = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ShardIteratorType: start.type,
          ...(start.type === 'AFTER_SEQUENCE_NUMBER' && { StartingSequenceNumber: start.sequenceNumber }),
        }),
      );
      iterator = out.ShardIterator;
    } catch (err) {
      errors.push(`${(err as Error).name}: ${(err as Error).message}`);
    }
  }
  await atLatest();
  while (iterator !== undefined) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 2000 }));
    if ((page.Records ?? []).length === 0) break;
    records.push(...page.Records!);
    iterator = page.NextShardIterator ?? undefined;
  }
  return { start, records, errors };
}

const agg = createRequire(import.meta.url)('aws-kinesis-agg') as {
  deaggregateSync: (record: { data: string; sequenceNumber: string; partitionKey: string }, computeChecksums: boolean, done: (err: Error | null, records?: { data: string }[]) => void) => void;
};

/** The user records of raw Kinesis records (KPL aggregates taken apart by aws-kinesis-agg), as text. */
export function userPayloads(records: readonly _Record[]): string[] {
  const out: string[] = [];
  for (const r of records) {
    agg.deaggregateSync(
      { data: Buffer.from(r.Data ?? new Uint8Array(0)).toString('base64'), sequenceNumber: r.SequenceNumber!, partitionKey: r.PartitionKey! },
      true,
      (err, users) => {
        if (err) throw err;
        for (const u of users ?? []) out.push(Buffer.from(u.data, 'base64').toString());
      },
    );
  }
  return out;
}

/**
 * kinesumer's `UpdateCheckPoints`: one BatchWriteItem of whole items (a put replaces what was
 * there), with `last_update` as Go writes it in a local zone: nanoseconds and an offset.
 */
export async function goUpdateCheckPoints(db: DynamoDBClient, table: string, app: string, stream: string, checkpoints: ReadonlyMap<string, string>, lastUpdate: string): Promise<void> {
  await db.send(
    new BatchWriteItemCommand({
      RequestItems: {
        [table]: [...checkpoints].map(([shardId, sequenceNumber]) => ({
          PutRequest: { Item: { pk: { S: goCheckpointKey(app, stream) }, sk: { S: shardId }, sequence_number: { S: sequenceNumber }, last_update: { S: lastUpdate } } },
        })),
      },
    }),
  );
}

/** A record of a shard as the judgement below sees it: its sequence number and how many user records it holds (1: a plain record). */
export interface ShardRecord {
  sequenceNumber: string;
  users: number;
}

/**
 * The user records (`seq/sub`) that were not processed and that kinesumer, starting at `start`,
 * would never deliver: with AFTER_SEQUENCE_NUMBER `""` every one (the call fails, for good);
 * with LATEST every one in `records` (all written before kinesumer started); with AFTER a
 * sequence number, those in records up to it. `[]`: kinesumer loses nothing.
 *
 * @param records The shard's records, in order, including those written after the handoff.
 * @param processed How far the group processed the shard: a record, inside an aggregate up to a
 *   user record (`undefined`: nothing).
 */
export function skippedByKinesumer(start: KinesumerStart, records: readonly ShardRecord[], processed: { sequenceNumber: string; subSequenceNumber?: number } | undefined): string[] {
  const unprocessed = records.flatMap((r) =>
    Array.from({ length: r.users }, (_, sub) => ({ r, sub })).filter(({ r, sub }) => {
      if (processed === undefined) return true;
      const order = compare(r.sequenceNumber, processed.sequenceNumber);
      return order > 0 || (order === 0 && processed.subSequenceNumber !== undefined && sub > processed.subSequenceNumber);
    }),
  );
  const skipped = unprocessed.filter(({ r }) => {
    if (start.type === 'LATEST' || start.sequenceNumber === '') return true;
    return compare(r.sequenceNumber, start.sequenceNumber) <= 0;
  });
  return skipped.map(({ r, sub }) => `${r.sequenceNumber}/${sub}`);
}

function compare(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
