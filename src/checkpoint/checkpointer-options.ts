import type { SchedulerLike } from 'rxjs';
import type { KinesumerError } from '../errors.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { HeartbeatStats, StateStore } from '../state-store/state-store.js';

/** What the checkpointer needs. */
export interface CheckpointerOptions {
  app: string;
  clientId: string;
  store: StateStore;
  scheduler: SchedulerLike;
  /** Time allowed for one store write, ms. */
  timeout: number;
  /**
   * Time allowed for one heartbeat, ms (the group's `clientTimeout`: a heartbeat is late only
   * when the others would count this client dead). Default `timeout`.
   */
  heartbeatTimeout?: number;
  report: (err: KinesumerError) => void;
  /** Counts commits and checkpointed records. */
  recorder?: MetricsRecorder;
  /**
   * Commit through heartbeats (needs a store with {@link StateStore.heartbeat}): every heartbeat
   * carries the current marks. Only with auto-commit: heartbeats go out whether or not a commit
   * was asked for. Default false.
   */
  heartbeatCommits?: boolean;
  /** What each heartbeat says of the shards this client holds or waits for (lag, activity). Default: nothing. */
  stats?: () => HeartbeatStats;
}
