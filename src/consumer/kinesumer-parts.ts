import type { Subject } from 'rxjs';
import type { Checkpointer } from '../checkpoint/checkpointer.js';
import type { ResolvedConfig } from '../config/kinesumer-config.js';
import type { EnhancedFanOut } from '../efo/enhanced-fan-out.js';
import type { KinesumerError } from '../errors.js';
import type { KinesisApi } from '../kinesis/kinesis-api.js';
import type { MetricsRecorder } from '../metrics/metrics-recorder.js';
import type { PauseControl } from '../shard/pause-control.js';
import type { StateStore } from '../state-store/state-store.js';
import type { LatestView } from './group-run.js';

/** @internal What {@link createKinesumer} builds for a consumer. */
export interface KinesumerParts {
  config: ResolvedConfig;
  kinesis: KinesisApi;
  store: StateStore;
  efo: EnhancedFanOut | undefined;
  checkpointer: Checkpointer;
  recorder: MetricsRecorder;
  /** Which shards `pause()` paused. */
  pause: PauseControl;
  /** What `errors$` emits; completed by close(). */
  errors: Subject<KinesumerError>;
  report: (err: KinesumerError) => void;
  latest: LatestView;
}
