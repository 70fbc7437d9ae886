import { Subject } from 'rxjs';
import { Checkpointer } from '../checkpoint/checkpointer.js';
import { resolveConfig, type KinesumerConfig } from '../config/resolve-config.js';
import { enhancedFanOut } from '../efo/enhanced-fan-out.js';
import type { KinesumerError } from '../errors.js';
import { watchAnswers } from '../kinesis/kinesis-answers.js';
import { resolveKinesisApi } from '../kinesis/resolve-kinesis-api.js';
import { countingKinesis, countingStore, MetricsRecorder } from '../metrics/metrics-recorder.js';
import { PauseControl } from '../shard/pause-control.js';
import { resolveStateStore } from '../state-store/resolve-state-store.js';
import type { LatestView } from './group-run.js';
import { Kinesumer } from './kinesumer.js';

/**
 * Creates a consumer-group member. Validates `config` synchronously and makes no network call
 * until {@link Kinesumer.consume}'s result is subscribed.
 *
 * This is the composition root: the config is resolved once here, the seams are built (Kinesis,
 * the state store, enhanced fan-out, the checkpointer, metrics), and each part gets only the
 * options it uses.
 *
 * ## Example
 * ```ts
 * import { createKinesumer } from 'rx-kinesumer';
 * const consumer = createKinesumer({
 *   app: 'myapp',
 *   kinesis: { region: 'eu-west-1' },
 *   stateStore: { table: 'kinesumer-state-store' },
 * });
 * ```
 *
 * @param config The configuration; see the README for every field and its default.
 * @returns A consumer, not yet connected.
 * @throws ConfigError listing every invalid field.
 */
export function createKinesumer(config: KinesumerConfig): Kinesumer {
  const resolved = resolveConfig(config);
  const { app, clientId, scheduler, logger, commit, group } = resolved;
  const recorder = new MetricsRecorder(app, clientId, scheduler);
  const errors = new Subject<KinesumerError>();
  const report = (err: KinesumerError): void => {
    recorder.error(err.code);
    logger.warn({ app, clientId, code: err.code }, err.message);
    if (!errors.closed) errors.next(err);
  };
  const latest: LatestView = { view: undefined, keys: '' };
  const kinesis = watchAnswers(countingKinesis(resolveKinesisApi(resolved.kinesis), recorder), scheduler);
  const store = countingStore(resolveStateStore(resolved.stateStore), recorder);
  const efo = enhancedFanOut(resolved, { kinesis, store, report, isLeader: () => latest.view?.leader === true });
  const checkpointer = new Checkpointer({
    app,
    clientId,
    store,
    scheduler,
    timeout: commit.timeout,
    heartbeatTimeout: group.clientTimeout,
    heartbeatCommits: commit.auto,
    report,
    recorder,
    stats: () => recorder.heartbeatStats(group.assignment === 'balanced'),
  });
  const pause = new PauseControl();
  recorder.attach({ progress: (stream, shardId) => checkpointer.progress(stream, shardId), paused: (stream, shardId) => pause.isPaused(stream, shardId) });
  checkpointer.finished$.subscribe((progress) => recorder.left(progress.stream, progress.shardId, 'shardFinished'));
  recorder.events$.subscribe((event) => {
    const { type, at: _at, ...fields } = event;
    logger.info({ app, clientId, ...fields }, type);
  });
  return Kinesumer.assemble({ config: resolved, kinesis, store, efo, checkpointer, recorder, pause, errors, report, latest });
}
