/**
 * The SDK clients of the command line, built from its flags: the region falls back to the
 * environment and, for emulators, to us-east-1; an explicit Kinesis endpoint gets an HTTP/1.1
 * handler (kinesis-local answers HTTP/2 with a protocol error); connecting times out, so an
 * unreachable endpoint fails in seconds instead of hanging.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Whereabouts } from './failure-message.js';

/** How long to wait for a TCP connection to an AWS endpoint, ms. */
const CONNECTION_TIMEOUT = 5_000;

/** Where the clients send their requests. */
export interface AwsTarget {
  region: string | undefined;
  kinesisEndpoint?: string | undefined;
  dynamodbEndpoint?: string | undefined;
}

/**
 * The region to use: the flag, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1` when an
 * endpoint is given (emulators accept any region). `undefined` leaves it to the SDK (profile).
 */
export function resolveRegion(target: AwsTarget, env: NodeJS.ProcessEnv): string | undefined {
  return (
    target.region ??
    (env['AWS_REGION'] || undefined) ??
    (env['AWS_DEFAULT_REGION'] || undefined) ??
    (target.kinesisEndpoint !== undefined || target.dynamodbEndpoint !== undefined ? 'us-east-1' : undefined)
  );
}

/** A DynamoDB client for the state-store table. */
export function dynamoDBClient(target: AwsTarget, env: NodeJS.ProcessEnv): DynamoDBClient {
  const region = resolveRegion(target, env);
  return new DynamoDBClient({
    ...(region !== undefined && { region }),
    ...(target.dynamodbEndpoint !== undefined && { endpoint: target.dynamodbEndpoint }),
    requestHandler: new NodeHttpHandler({ connectionTimeout: CONNECTION_TIMEOUT }),
  });
}

/**
 * A Kinesis client. With an endpoint it speaks HTTP/1.1 (emulators); against AWS it keeps the
 * SDK's default handler.
 */
export function kinesisClient(target: AwsTarget, env: NodeJS.ProcessEnv): KinesisClient {
  const region = resolveRegion(target, env);
  return new KinesisClient({
    ...(region !== undefined && { region }),
    ...(target.kinesisEndpoint !== undefined && {
      endpoint: target.kinesisEndpoint,
      requestHandler: new NodeHttpHandler({ connectionTimeout: CONNECTION_TIMEOUT }),
    }),
  });
}

/** Where each service is called, for messages: `region us-east-1, endpoint http://127.0.0.1:4567`. */
export function whereabouts(target: AwsTarget, env: NodeJS.ProcessEnv): Whereabouts {
  const region = `region ${resolveRegion(target, env) ?? '(from the AWS profile)'}`;
  const at = (endpoint: string | undefined) => (endpoint === undefined ? region : `${region}, endpoint ${endpoint}`);
  return { kinesis: at(target.kinesisEndpoint), dynamodb: at(target.dynamodbEndpoint) };
}
