/**
 * The line `kinesumer tail` prints for each record: one JSON object, the payload as text when it
 * is valid UTF-8 and as `{"base64": "..."}` otherwise, so that binary payloads survive and text
 * payloads stay readable (and greppable).
 */
import type { KinesumerRecord } from '../record.js';

/** One record as `kinesumer tail` prints it. The field order is part of the contract. */
export interface RecordLine {
  stream: string;
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** ISO 8601 in UTC (`2024-03-01T12:00:00.000Z`), or `null` when Kinesis gave none. */
  approximateArrivalTimestamp: string | null;
  /** The payload: the decoded text when the bytes are valid UTF-8, else their base64. */
  data: string | { base64: string };
}

// `fatal` rejects invalid UTF-8 instead of replacing it; `ignoreBOM` keeps a leading BOM in the
// text, so that the text is exactly the bytes.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The payload as {@link RecordLine.data}. */
export function lineData(data: Uint8Array): string | { base64: string } {
  try {
    return strictUtf8.decode(data);
  } catch {
    return { base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  }
}

/**
 * The JSON line of `record`, newline included.
 *
 * ## Example
 * ```ts
 * import { recordLine } from './record-line.js';
 * process.stdout.write(recordLine(record)); // {"stream":"orders",...,"data":"hello"}\n
 * ```
 * @param record A record delivered by a consumer.
 * @returns One line of JSON, ending in `\n`.
 */
export function recordLine(record: KinesumerRecord): string {
  const line: RecordLine = {
    stream: record.stream,
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    partitionKey: record.partitionKey,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp?.toISOString() ?? null,
    data: lineData(record.data),
  };
  return `${JSON.stringify(line)}\n`;
}
