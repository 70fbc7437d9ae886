import type { _Record } from '@aws-sdk/client-kinesis';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';

/**
 * The Kinesis Producer Library packs many user records into one Kinesis record: 4 magic bytes,
 * a protobuf message, and an MD5 checksum of it. The protobuf model is aws-kinesis-agg's (AWS's
 * own library for this format); this module checks the magic bytes first, so that plain records
 * cost one comparison, verifies the checksum, and reads the decoded message.
 */
const MAGIC = [0xf3, 0x89, 0x9a, 0xc2] as const;

/** aws-kinesis-agg's protobuf model of the aggregate (decoded messages leave absent fields unset). */
interface AggregatedRecord {
  partition_key_table: string[];
  explicit_hash_key_table: string[];
  records: { partition_key_index: number; explicit_hash_key_index?: number; data: Uint8Array }[];
}
type AggregateModel = { decode(bytes: Uint8Array): AggregatedRecord };
let model: AggregateModel | undefined;
/** The model, loaded with the first aggregate: consumers of plain records never load protobufjs (about 1.4 MB). */
function aggregateModel(): AggregateModel {
  model ??= (createRequire(import.meta.url)('aws-kinesis-agg/lib/common.js') as { AggregatedRecord: AggregateModel }).AggregatedRecord;
  return model;
}

/** One user record taken out of a KPL aggregate. */
export interface UserRecord {
  partitionKey: string;
  explicitHashKey: string | undefined;
  /** Its position in the aggregate, from 0. */
  subSequenceNumber: number;
  data: Uint8Array;
}

/** Whether `data` starts with the KPL aggregation magic bytes. */
export function isAggregated(data: Uint8Array | undefined): boolean {
  return data !== undefined && data.length > 20 && data[0] === MAGIC[0] && data[1] === MAGIC[1] && data[2] === MAGIC[2] && data[3] === MAGIC[3];
}

/**
 * The user records of an aggregated record, in order, with the checksum verified; or the reason
 * the aggregate cannot be read (a bad checksum, a broken protobuf).
 */
export function deaggregate(record: _Record): { records: UserRecord[] } | { error: Error } {
  const data = record.Data!;
  const message = data.subarray(4, data.length - 16);
  const checksum = data.subarray(data.length - 16);
  if (!createHash('md5').update(message).digest().equals(checksum)) {
    return { error: new Error('invalid KPL aggregate checksum') };
  }
  let decoded: AggregatedRecord;
  try {
    decoded = aggregateModel().decode(message);
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
  // aws-kinesis-agg's own deaggregate() reads an absent explicit hash key index as 0 and so gives
  // every record the first explicit hash key; reading the decoded message keeps them apart.
  const records = decoded.records.map((item, i): UserRecord => ({
    partitionKey: decoded.partition_key_table[item.partition_key_index] ?? record.PartitionKey ?? '',
    explicitHashKey: Object.prototype.hasOwnProperty.call(item, 'explicit_hash_key_index')
      ? decoded.explicit_hash_key_table[item.explicit_hash_key_index!]
      : undefined,
    subSequenceNumber: i,
    data: item.data,
  }));
  return { records };
}
