import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { KinesisOptions } from './kinesis-options.js';
import { AssumeRoleError } from '../errors.js';
import { isKinesisApi, type KinesisApi } from './kinesis-api.js';
import { SdkKinesisApi } from './sdk-kinesis-api.js';

/** The seam for the configured `kinesis` value: a client, client options, or a seam as is. */
export function resolveKinesisApi(kinesis: KinesisClient | KinesisOptions | KinesisApi): KinesisApi {
  if (isKinesisApi(kinesis)) return kinesis;
  if (kinesis instanceof KinesisClient) return new SdkKinesisApi(kinesis);
  const credentials = kinesis.roleArn === undefined ? kinesis.credentials : assumedRole(kinesis, kinesis.roleArn);
  const client = new KinesisClient({
    ...(kinesis.region !== undefined && { region: kinesis.region }),
    ...(kinesis.endpoint !== undefined && { endpoint: kinesis.endpoint }),
    ...(credentials !== undefined && { credentials }),
    ...(kinesis.http1 && { requestHandler: new NodeHttpHandler() }),
  });
  return new SdkKinesisApi(client);
}

/**
 * Temporary credentials of `roleArn` from STS AssumeRole, got with the configured credentials
 * (or the default chain). The SDK's own provider caches them and the client refreshes them before
 * they expire; a failure becomes an {@link AssumeRoleError} that names the role. The providers'
 * package is loaded when credentials are first asked for, so that clients without a role (most)
 * never load it.
 */
function assumedRole(kinesis: KinesisOptions, roleArn: string): AwsCredentialIdentityProvider {
  let provider: Promise<AwsCredentialIdentityProvider> | undefined;
  const load = async (): Promise<AwsCredentialIdentityProvider> => {
    const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
    return fromTemporaryCredentials({
      params: {
        RoleArn: roleArn,
        RoleSessionName: kinesis.sessionName ?? 'rx-kinesumer',
        ...(kinesis.externalId !== undefined && { ExternalId: kinesis.externalId }),
      },
      ...(kinesis.credentials !== undefined && { masterCredentials: kinesis.credentials }),
      ...(kinesis.region !== undefined && { clientConfig: { region: kinesis.region } }),
    });
  };
  return async (properties) => {
    try {
      provider ??= load();
      return await (await provider)(properties);
    } catch (err) {
      throw new AssumeRoleError(roleArn, { cause: err });
    }
  };
}
