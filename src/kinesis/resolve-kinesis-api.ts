import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisOptions } from '../config.js';
import { isKinesisApi, type KinesisApi } from './kinesis-api.js';
import { SdkKinesisApi } from './sdk-kinesis-api.js';

/** The seam for the configured `kinesis` value: a client, client options, or a seam as is. */
export function resolveKinesisApi(kinesis: KinesisClient | KinesisOptions | KinesisApi): KinesisApi {
  if (isKinesisApi(kinesis)) return kinesis;
  if (kinesis instanceof KinesisClient) return new SdkKinesisApi(kinesis);
  const client = new KinesisClient({
    ...(kinesis.region !== undefined && { region: kinesis.region }),
    ...(kinesis.endpoint !== undefined && { endpoint: kinesis.endpoint }),
    ...(kinesis.credentials !== undefined && { credentials: kinesis.credentials }),
    ...(kinesis.http1 && { requestHandler: new NodeHttpHandler() }),
  });
  return new SdkKinesisApi(client);
}
