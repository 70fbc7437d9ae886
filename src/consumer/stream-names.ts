import { UsageError } from '../errors.js';
import type { KinesisApi } from '../kinesis/kinesis-api.js';

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]{1,128})$/;

/**
 * Checks `streams` (names, or ARNs for streams in other accounts), points the Kinesis seam at the
 * ARNs among them, and returns them as names. State-store keys use the name, as kinesumer's do,
 * so two streams of one name in one app would share state: that is refused (use one app per
 * account).
 *
 * @throws UsageError (`INVALID_STREAMS`) naming what is wrong.
 */
export function useStreams(kinesis: KinesisApi, streams: readonly string[]): readonly string[] {
  const { names, arns } = parseStreams(streams);
  if (arns.size > 0 && kinesis.useStreamArn === undefined) {
    throw new UsageError('streams given by ARN need a Kinesis seam that can address them (useStreamArn)', 'INVALID_STREAMS');
  }
  for (const [name, arn] of arns) kinesis.useStreamArn!(name, arn);
  return names;
}

/** `streams` as names, with the ARNs they were given by. */
function parseStreams(streams: readonly string[]): { names: string[]; arns: Map<string, string> } {
  const bad = Array.isArray(streams) ? streams.filter((s) => typeof s !== 'string' || !(STREAM_NAME.test(s) || STREAM_ARN.test(s))) : [streams];
  if (!Array.isArray(streams) || bad.length > 0) {
    throw new UsageError(
      `streams must be Kinesis stream names (1-128 characters of a-z, A-Z, 0-9, _ . -) or stream ARNs ` +
        `(arn:aws:kinesis:REGION:ACCOUNT:stream/NAME); not ${JSON.stringify(bad)}`,
      'INVALID_STREAMS',
    );
  }
  const names: string[] = [];
  const arns = new Map<string, string>();
  const given = new Map<string, string>();
  for (const s of streams) {
    const name = STREAM_ARN.exec(s)?.[1] ?? s;
    const before = given.get(name);
    if (before !== undefined && before !== s) {
      throw new UsageError(
        `streams ${JSON.stringify(before)} and ${JSON.stringify(s)} have the same name "${name}"; their state would ` +
          'collide under one app: consume them with two consumers of different apps',
        'INVALID_STREAMS',
      );
    }
    if (before === undefined) names.push(name);
    given.set(name, s);
    if (s !== name) arns.set(name, s);
  }
  return { names, arns };
}
