/**
 * `kinesumer tail`: one group member that prints its records as JSON lines on stdout and
 * checkpoints each record only after its line was written. SIGTERM and SIGINT close it gracefully
 * (commit, release, deregister); logs go to stderr.
 */
import { firstValueFrom, map, concatMap, Observable } from 'rxjs';
import { checkpoint } from '../checkpoint/checkpoint.js';
import { ConfigError } from '../errors.js';
import { SdkKinesisApi } from '../kinesis/sdk-kinesis-api.js';
import { createKinesumer } from '../consumer/create-kinesumer.js';
import type { Kinesumer } from '../consumer/kinesumer.js';
import type { Logger } from '../logger.js';
import { DynamoDBStateStore } from '../state-store/dynamodb/dynamodb-state-store.js';
import { dynamoDBClient, kinesisClient, whereabouts } from './aws-clients.js';
import { CommandLineError, EXIT, type TailOptions } from './command-line.js';
import { failureMessage, type Whereabouts } from './failure-message.js';
import { recordLine } from './record-line.js';

/** How long the table and stream checks before joining may take, ms. */
const PREFLIGHT_TIMEOUT = 20_000;

/** Where `tail` writes. */
export interface TailIO {
  /** The record lines. */
  out: NodeJS.WritableStream;
  /** One log line (stderr). */
  log: (line: string) => void;
}

/**
 * Runs `kinesumer tail` until SIGTERM/SIGINT, a closed stdout, or a fatal error.
 * @param options The parsed flags.
 * @param io Where records and logs go.
 * @returns The exit code: 0 after a graceful close.
 * @throws What stops it before it joined the group (bad timings, missing table or stream,
 *   unreachable endpoint); the caller turns it into one line.
 */
export async function tail(options: TailOptions, io: TailIO): Promise<number> {
  const target = { region: options.region, kinesisEndpoint: options.kinesisEndpoint, dynamodbEndpoint: options.dynamodbEndpoint };
  const kinesis = kinesisClient(target, process.env);
  const dynamodb = dynamoDBClient(target, process.env);
  const stop = stopSignals(io.log);
  try {
    const store = new DynamoDBStateStore({
      table: options.table,
      client: dynamodb,
      ...(options.dynamodbEndpoint !== undefined && { endpoint: options.dynamodbEndpoint }),
    });
    let consumer: Kinesumer;
    try {
      consumer = createKinesumer({
        app: options.app,
        ...(options.clientId !== undefined && { clientId: options.clientId }),
        kinesis,
        stateStore: store,
        initialPosition: options.from,
        group: definedOnly({ syncInterval: options.syncInterval, clientTimeout: options.clientTimeout }),
        commit: definedOnly({ interval: options.commitInterval }),
        ...(options.efo && { efo: true }),
        // Everything the library reports (errors$ too) reaches stderr through here, once.
        logger: stderrLog(io.log),
      });
    } catch (err) {
      if (err instanceof ConfigError) throw new CommandLineError(failureMessage(err));
      throw err;
    }

    const where = whereabouts(target, process.env);
    // The library retries a missing stream or an unreachable endpoint for ever (they may come
    // back); on the command line they are mistakes to report at once.
    const check = preflight(store, new SdkKinesisApi(kinesis), options.streams, where);
    check.catch(() => undefined); // a signal may win the race; its failure then goes unreported
    const checked = await Promise.race([check, stop.stopped]);
    if (checked !== 'ready') return EXIT.ok;

    io.log(
      `member "${consumer.clientId}" of group "${options.app}" reading ${options.streams.join(', ')} ` +
        `(${describeStart(options)}); stop with SIGTERM or Ctrl-C`,
    );
    return await consume(consumer, options, io, stop.stopped, where);
  } finally {
    stop.dispose();
    kinesis.destroy();
    dynamodb.destroy();
  }
}

/** Reads records and prints them until stopped; resolves with the exit code once closed. */
function consume(
  consumer: Kinesumer,
  options: TailOptions,
  io: TailIO,
  stopped: Promise<NodeJS.Signals>,
  where: Whereabouts,
): Promise<number> {
  return new Promise<number>((resolve) => {
    let exitCode: number = EXIT.ok;
    let leaving = false;
    const leave = (why: string) => {
      if (leaving) return;
      leaving = true;
      io.log(`${why}: committing checkpoints and leaving the group`);
      void consumer.close().then(() => {
        io.log('left the group');
        resolve(exitCode);
      });
    };

    let owned = 'no shards'; // before the first sync; not worth a line
    consumer.assignment$.subscribe((assignment) => {
      const streams = Object.entries(assignment).map(([stream, shards]) => `${stream}: ${shards.length > 0 ? shards.join(' ') : 'none'}`);
      const now = streams.length > 0 ? streams.join('; ') : 'no shards';
      if (now !== owned) io.log(`assigned ${now}`);
      owned = now;
    });
    // Writing an EPIPE'd stdout also emits 'error' on the stream; the write callback handles it.
    io.out.on('error', () => undefined);

    consumer
      .consume(options.streams)
      .pipe(
        // One write at a time, each record passed on (and so checkpointed) only once its line was
        // handed to the OS: at-least-once, even when stdout is a slow pipe.
        concatMap((record) => writeLine(io.out, recordLine(record)).pipe(map(() => record))),
        checkpoint(consumer),
      )
      .subscribe({
        error: (err: unknown) => {
          if (isClosedPipe(err)) {
            leave('stdout was closed');
            return;
          }
          exitCode = EXIT.failure;
          io.log(failureMessage(err, where));
          leave('stopped');
        },
      });

    void stopped.then((signal) => leave(signal));
  });
}

/** Writes `line` and emits once the stream's write callback says it was written. */
function writeLine(out: NodeJS.WritableStream, line: string): Observable<void> {
  return new Observable<void>((subscriber) => {
    out.write(line, (err) => {
      if (err) subscriber.error(err);
      else {
        subscriber.next();
        subscriber.complete();
      }
    });
  });
}

function isClosedPipe(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/** Checks, before joining, that the table is usable and every stream exists. */
async function preflight(store: DynamoDBStateStore, kinesis: SdkKinesisApi, streams: readonly string[], where: Whereabouts): Promise<'ready'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CommandLineError(`no answer from DynamoDB (${where.dynamodb}) or Kinesis (${where.kinesis}) within ${PREFLIGHT_TIMEOUT / 1000} s`, EXIT.failure)),
      PREFLIGHT_TIMEOUT,
    );
  });
  try {
    // The table first, then the streams: a missing table is named even when a stream is missing too.
    await Promise.race([timeout, store.ready()]);
    await Promise.race([timeout, Promise.all(streams.map((s) => firstValueFrom(kinesis.listShards(s))))]);
    return 'ready';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves with the first SIGTERM or SIGINT. A second one exits at once, without closing: the
 * way out when a close hangs.
 */
function stopSignals(log: (line: string) => void): { stopped: Promise<NodeJS.Signals>; dispose: () => void } {
  let first: ((signal: NodeJS.Signals) => void) | undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => (first = resolve));
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received += 1;
    if (received === 1) first!(signal);
    else {
      log(`${signal} again: exiting without closing (shards are taken over after the client timeout)`);
      process.exit(EXIT.failure);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    stopped,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

/** The library's warnings and errors as `warning [CODE] message` lines; its info and debug events are left out. */
function stderrLog(log: (line: string) => void): Logger {
  const write = (level: string) => (fields: Record<string, unknown>, message: string) =>
    log(`${level}${typeof fields['code'] === 'string' ? ` [${fields['code']}]` : ''} ${message}`);
  return { debug: () => undefined, info: () => undefined, warn: write('warning'), error: write('error') };
}

function describeStart(options: TailOptions): string {
  const from = options.from;
  const start = from === 'LATEST' ? 'latest' : from === 'TRIM_HORIZON' ? 'trim_horizon' : from.timestamp.toISOString();
  return `from each shard's checkpoint, else ${start}${options.efo ? '; enhanced fan-out' : ''}`;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
