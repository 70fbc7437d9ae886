import { KinesisClient } from '@aws-sdk/client-kinesis';
import { Observable, catchError, defer, from, map, of } from 'rxjs';
import type { KinesisOptions } from '../kinesis/kinesis-options.js';
import { isKinesisApi, type KinesisApi } from '../kinesis/kinesis-api.js';

/** What Kinesis accepts as a consumer name: 1 to 128 of a-z, A-Z, 0-9, `_`, `.` and `-`. */
export const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/**
 * kinesumer's consumer name: the app name, with `-<region>` appended when a region is configured,
 * so that one app consuming the same stream name in two regions registers two consumers.
 *
 * ## Example
 * ```ts
 * import { defaultConsumerName } from './efo/consumer-name.js';
 * defaultConsumerName('orders-indexer', 'eu-west-1'); // 'orders-indexer-eu-west-1'
 * ```
 */
export function defaultConsumerName(app: string, region: string | undefined): string {
  return region ? `${app}-${region}` : app;
}

/**
 * The consumer name to register: `consumerName` when given, else {@link defaultConsumerName} with
 * the region of the Kinesis options, or of the given `KinesisClient` (read from its config, which
 * may need a provider call). A ready-made seam has no region.
 */
export function consumerName$(
  app: string,
  consumerName: string | undefined,
  kinesis: KinesisClient | KinesisOptions | KinesisApi,
): Observable<string> {
  if (consumerName !== undefined) return of(consumerName);
  if (kinesis instanceof KinesisClient) {
    return defer(() => from(kinesis.config.region())).pipe(
      map((region) => defaultConsumerName(app, region)),
      catchError(() => of(defaultConsumerName(app, undefined))),
    );
  }
  if (isKinesisApi(kinesis)) return of(app);
  return of(defaultConsumerName(app, kinesis.region));
}
