import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** How to reach Kinesis when no client is given. */
export interface KinesisOptions {
  /** AWS region. Default: the SDK's (AWS_REGION, profile). */
  region?: string;
  /** Endpoint URL, for emulators such as kinesis-local. */
  endpoint?: string;
  /** Credentials or a provider. Default: the SDK's default chain. */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * IAM role to assume for streams in another account. Kinesis calls then use temporary
   * credentials from STS AssumeRole (refreshed by the SDK before they expire), got with
   * `credentials` or the default chain; the state store keeps the caller's own credentials.
   */
  roleArn?: string;
  /** External id the role's trust policy asks for, with `roleArn`. */
  externalId?: string;
  /** Session name for the assumed role (shows in CloudTrail). Default `rx-kinesumer`. */
  sessionName?: string;
  /**
   * Use an HTTP/1.1 handler instead of the SDK default. kinesis-local answers HTTP/2 with a
   * protocol error; real AWS works with both for polling. Default `false`.
   */
  http1?: boolean;
}
