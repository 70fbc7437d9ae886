import type { _Record } from '@aws-sdk/client-kinesis';
import { ORDINAL, PARTIAL, PRECEDING, SHARD, type LinkedRecord } from '../checkpoint/linked-record.js';
import type { ShardProgress } from '../checkpoint/shard-progress.js';
import { CorruptAggregateError, type KinesumerError } from '../errors.js';
import type { KinesumerRecord } from '../record.js';
import { deaggregate, isAggregated } from '../records/deaggregate.js';

/**
 * The delivered records of one page, linked to their shard's progress: KPL aggregates are taken
 * apart into their user records (a corrupt one is reported and delivered raw), and when reading
 * resumes inside an aggregate, its user records up to the checkpoint are skipped. A user record
 * that is not its aggregate's last carries the record before the aggregate, for kinesumer's
 * checkpoint while the aggregate is partly processed. The per-record path of the library: one
 * object per record, no closure.
 *
 * @param records One GetRecords page or SubscribeToShard event, in order.
 * @param progress The progress of the shard they were read from.
 * @param report Where a corrupt aggregate is reported.
 * @returns The records to deliver, in order.
 */
export function linkRecords(records: readonly _Record[], progress: ShardProgress, report: (err: KinesumerError) => void): KinesumerRecord[] {
  const { stream, shardId } = progress;
  const out: LinkedRecord[] = [];
  let ordinal = progress.delivered;
  const skip = progress.skip;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const sequenceNumber = r.SequenceNumber!;
    const data = r.Data ?? new Uint8Array(0);
    if (isAggregated(data)) {
      const result = deaggregate(r);
      if ('records' in result) {
        const last = result.records.length - 1;
        const preceding = last === 0 ? undefined : i > 0 ? records[i - 1]!.SequenceNumber : progress.before(sequenceNumber);
        for (const u of result.records) {
          if (skip !== undefined && skip.sequenceNumber === sequenceNumber && u.subSequenceNumber <= skip.sub) continue;
          out.push(linked(
            {
              stream,
              shardId,
              sequenceNumber,
              subSequenceNumber: u.subSequenceNumber,
              partitionKey: u.partitionKey,
              ...(u.explicitHashKey !== undefined && { explicitHashKey: u.explicitHashKey }),
              data: u.data,
              approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
              encryptionType: r.EncryptionType,
            },
            progress,
            ordinal++,
            u.subSequenceNumber < last ? u.subSequenceNumber : undefined,
            u.subSequenceNumber < last ? preceding : undefined,
          ));
        }
        continue;
      }
      report(new CorruptAggregateError(stream, shardId, sequenceNumber, { cause: result.error }));
    } else if (skip !== undefined && skip.sequenceNumber === sequenceNumber) {
      continue; // recorded as partly processed, yet not an aggregate now: it was processed
    }
    out.push(linked(
      {
        stream,
        shardId,
        sequenceNumber,
        partitionKey: r.PartitionKey!,
        data,
        approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
        encryptionType: r.EncryptionType,
      },
      progress,
      ordinal++,
      undefined,
      undefined,
    ));
  }
  progress.pageDelivered(ordinal, records.length > 0 ? records[records.length - 1]!.SequenceNumber : undefined);
  return out;
}

/**
 * `record` with the hidden link added. The symbol-keyed fields are assigned after the literal:
 * computed keys inside an object literal make V8 build each record on a slow path, which cost
 * about 0.25 µs a record (some 5 ms per 20,000 records before the code is optimized).
 */
function linked(record: KinesumerRecord, progress: ShardProgress, ordinal: number, partial: number | undefined, preceding: string | undefined): LinkedRecord {
  const out = record as { -readonly [K in keyof LinkedRecord]: LinkedRecord[K] };
  out[SHARD] = progress;
  out[ORDINAL] = ordinal;
  out[PARTIAL] = partial;
  out[PRECEDING] = preceding;
  return out;
}
