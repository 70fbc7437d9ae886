/**
 * AWS SDK v3 clients from the application's own copy of the SDK. Applications often resolve a
 * copy of `@aws-sdk/client-*` other than the library's (an older pinned version, a monorepo,
 * `npm link`, a bundler), and the library's command objects do not run inside another copy's
 * client: the middleware stacks differ between versions ("serializerMiddleware is not found when
 * adding endpointV2Middleware"). So such a client is not used as is: its settings are adopted
 * into a client of the library's own copy, which then runs the library's commands.
 */

/**
 * What an AWS SDK v3 client looks like from outside, whatever its version or copy: `send()` and
 * the resolved `config`, whose `serviceId` names the service (`Kinesis`, `DynamoDB`).
 */
export interface AwsSdkClient {
  send(command: any, ...rest: any[]): Promise<any>;
  config: { serviceId?: string | undefined };
}

/**
 * The settings taken over from another copy's client, all read from its resolved `config`, where
 * each is a value or a provider the library's client accepts as input. Middleware added to the
 * application's client, and a custom `retryStrategy`, are not carried over.
 */
const ADOPTED = [
  'region',
  'credentials',
  'requestHandler',
  'maxAttempts',
  'retryMode',
  'useFipsEndpoint',
  'useDualstackEndpoint',
  'logger',
  'customUserAgent',
  'tls',
] as const;

/**
 * The resolved settings a client must have for its settings to be adopted. Every 3.x client
 * resolves `region` to a provider (one that fails at the first call when no region is configured
 * anywhere); credentials and a request handler may be left to the library's client's defaults.
 */
const REQUIRED = ['region'] as const;

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null;

/** The `serviceId` of `value` when it looks like an AWS SDK v3 client (any copy), else `undefined`. */
export function sdkClientService(value: unknown): string | undefined {
  if (!isObject(value) || typeof value['send'] !== 'function' || !isObject(value['config'])) return undefined;
  const serviceId = value['config']['serviceId'];
  return typeof serviceId === 'string' ? serviceId : undefined;
}

/** What {@link checkSdkClient} found: a usable client, or why it is not one. */
export type SdkClientCheck = { ok: true } | { ok: false; hint: string };

/**
 * Whether `value` can serve as a client of `serviceId`. `libraryClass` is the library's own client
 * class: its instances are always fine. A value that is not client-like at all (not an object, or
 * an object without `send()` that is no AWS SDK v2 client) gives `undefined`, so that the caller
 * can take it for options.
 *
 * @param value What the user passed.
 * @param serviceId The service expected, `Kinesis` or `DynamoDB`.
 * @param libraryClass The library's own client class of that service.
 * @param pkg The SDK package of that service, to name in hints.
 * @returns `{ ok: true }`, `{ ok: false, hint }` with a hint starting with ` - ` to append to a
 *   config message, or `undefined` for a value that does not look like a client.
 */
export function checkSdkClient(
  value: unknown,
  serviceId: string,
  libraryClass: abstract new (...args: any[]) => unknown,
  pkg: string,
): SdkClientCheck | undefined {
  if (value instanceof libraryClass) return { ok: true };
  if (!isObject(value)) return undefined;
  const fail = (hint: string): SdkClientCheck => ({ ok: false, hint });
  if (typeof value['send'] !== 'function') {
    const v2 = typeof value['makeRequest'] === 'function' || 'serviceIdentifier' in value;
    return v2 ? fail(` - it looks like an AWS SDK v2 client; rx-kinesumer needs an AWS SDK v3 client (${pkg} 3.x), or the options to build one`) : undefined;
  }
  const service = sdkClientService(value);
  if (service === undefined) return fail(` - it has send() but no config.serviceId, so it is not an AWS SDK v3 client (${pkg})`);
  if (service !== serviceId) return fail(` - it is a client of ${service}, not of ${serviceId}`);
  const config = value['config'] as Record<string, unknown>;
  const missing = REQUIRED.filter((key) => config[key] === undefined);
  if (missing.length > 0) {
    return fail(
      ` - its config has no ${missing.join(', ')}, so it comes from a ${pkg} outside the supported range ` +
        '(3.x; see "Your own AWS SDK clients" in the README): pass the options instead (region, endpoint, credentials)',
    );
  }
  if (sendReplaced(value)) {
    return fail(
      ` - its send() was replaced (a mock of your own copy of ${pkg}?): rx-kinesumer runs its calls on a client ` +
        "built from this client's settings, which the replacement would never see; in tests, use FakeKinesis from " +
        'rx-kinesumer/testing, a KinesisApi or a StateStore instead',
    );
  }
  return { ok: true };
}

/**
 * Whether `send` was overridden below the SDK's base `Client` class, on the instance or a
 * subclass: a mock (aws-sdk-client-mock stubs `send` there) or a wrapper with calls of its own.
 * In an untouched client only the base class defines it.
 */
function sendReplaced(client: object): boolean {
  let owners = 0;
  for (let p: object | null = client; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.prototype.hasOwnProperty.call(p, 'send')) owners += 1;
  }
  return owners > 1;
}

/**
 * `client` as a client of the library's own SDK copy: the same object when it is already an
 * instance of `libraryClass`, otherwise a new one with `client`'s settings (region, credentials
 * provider, custom endpoint, request handler, retries, FIPS/dual-stack, logger, user agent), so
 * requests go where and how the application's client sends them.
 *
 * ## Example
 * ```ts
 * import { KinesisClient } from '@aws-sdk/client-kinesis';
 * import { adoptSdkClient } from './sdk-client.js';
 * const client = adoptSdkClient(applicationsClient, KinesisClient); // a KinesisClient of this copy
 * ```
 * @param client An AWS SDK v3 client of the service of `libraryClass`, checked beforehand with
 *   {@link checkSdkClient}.
 * @param libraryClass The library's own client class.
 * @returns A client of `libraryClass`.
 */
export function adoptSdkClient<C>(client: AwsSdkClient, libraryClass: new (config: any) => C): C {
  if (client instanceof libraryClass) return client;
  return new libraryClass(adoptedSettings(client));
}

/** The input settings of a new client that sends like `client`. */
export function adoptedSettings(client: AwsSdkClient): Record<string, unknown> {
  const config = client.config as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const key of ADOPTED) if (config[key] !== undefined) settings[key] = config[key];
  // Without a custom endpoint, the resolved config holds none (or, in old versions, one derived
  // from the region, which the new client derives itself).
  if (config['endpoint'] !== undefined && config['isCustomEndpoint'] !== false) settings['endpoint'] = config['endpoint'];
  return settings;
}
