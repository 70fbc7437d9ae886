/** The numbers of the configuration: its documented defaults and the bounds it is checked against. */
import type { ResolvedConfig } from './kinesumer-config.js';

/**
 * The documented defaults, in milliseconds where the field is a duration. `resolveConfig` fills
 * them in; the README and other modules refer to them instead of repeating the numbers.
 * `polling.scanTimeout` is the default for `scanLimit`s up to 2000; larger pages get more time
 * (see {@link defaultScanTimeout}).
 */
export const DEFAULTS = {
  initialPosition: 'LATEST',
  group: { syncInterval: 5000, clientTimeout: 10000, assignment: 'sticky', staticMembership: false },
  commit: { auto: true, interval: 5000, timeout: 2000, itemInterval: 60000 },
  polling: { scanLimit: 2000, scanTimeout: 2000, idleInterval: 1000, maxInFlight: 4000 },
  retry: { initialDelay: 100, maxDelay: 30000 },
  metrics: { interval: 10000, stallTimeout: 60000 },
  efo: false,
} as const satisfies Omit<ResolvedConfig, 'app' | 'clientId' | 'kinesis' | 'stateStore' | 'scheduler' | 'logger'>;

/** Of the default `polling.scanTimeout`: milliseconds allowed per record asked for. */
export const SCAN_TIMEOUT_PER_RECORD = 1;

/**
 * The default `polling.scanTimeout` for a `scanLimit`: {@link SCAN_TIMEOUT_PER_RECORD} ms per
 * record, and never less than `DEFAULTS.polling.scanTimeout` (2000 ms, which the default 2000
 * records get). A fixed 2 s would cut off 10,000-record pages on a busy or slow link and read
 * them again at half the size, paying the request twice; a timeout that grows with the page
 * keeps the time allowed per record, so dead connections are noticed as quickly as before for
 * the pages asked for.
 *
 * @param scanLimit The configured records per GetRecords call.
 * @returns Milliseconds allowed for one GetRecords call.
 */
export function defaultScanTimeout(scanLimit: number): number {
  return Math.max(DEFAULTS.polling.scanTimeout, scanLimit * SCAN_TIMEOUT_PER_RECORD);
}

/** The bounds `resolveConfig` enforces, for messages and documentation. */
export const LIMITS = {
  /** Longest `app` name; it is part of DynamoDB keys such as `client#<app>`. */
  appLength: 100,
  /** Largest `polling.scanLimit`, the GetRecords maximum. */
  scanLimit: 10000,
  /** Smallest `polling.idleInterval`, ms: Kinesis allows 5 GetRecords calls per second per shard. */
  idleInterval: 200,
} as const;

/** Defaults of the `efo` options. */
export const EFO_DEFAULTS = { deregisterOnClose: false } as const;
