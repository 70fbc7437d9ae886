import {
  EMPTY,
  Observable,
  catchError,
  concat,
  defer,
  finalize,
  from,
  ignoreElements,
  merge,
  share,
  timeout,
  type SchedulerLike,
} from 'rxjs';
import { CheckpointError, ClosedError, KinesumerError, UsageError, describeCause } from './errors.js';
import type { KinesumerRecord } from './record.js';
import type { Checkpoint, StateStore } from './state-store/state-store.js';

/** The hidden link from a delivered record to the shard it came from. */
export const SHARD = Symbol('rx-kinesumer.shard');

/** The per-shard checkpoint state of one owned shard, shared by every record read from it. */
export class ShardHandle {
  /** False once the shard left this client: later marks are ignored (the new owner re-reads). */
  active = true;
  /** The highest sequence number that reached `checkpoint()`. */
  marked: string | undefined;
  /** The sequence number last written to the store. */
  committed: string | undefined;

  constructor(
    readonly owner: Checkpointer,
    readonly stream: string,
    readonly shardId: string,
    committed: string | undefined,
  ) {
    this.committed = committed;
    this.marked = committed;
  }
}

/** A record as the reader builds it: the public fields plus the hidden shard link. */
export type LinkedRecord = KinesumerRecord & { readonly [SHARD]: ShardHandle };

/** Whether sequence number `a` is after `b` (both decimal strings without leading zeros). */
export function isAfter(a: string, b: string | undefined): boolean {
  if (b === undefined) return true;
  return a.length !== b.length ? a.length > b.length : a > b;
}

/** What the checkpointer needs. */
export interface CheckpointerOptions {
  app: string;
  store: StateStore;
  scheduler: SchedulerLike;
  /** Time allowed for one store write, ms. */
  timeout: number;
  report: (err: KinesumerError) => void;
}

/**
 * Keeps the marks of the shards this client owns and writes them to the state store: one batch
 * write per stream per commit, never one write per record. Commits never overlap, so a slow
 * write can never land after a newer one.
 */
export class Checkpointer {
  private readonly handles = new Map<string, ShardHandle>();
  private running: Observable<never> | undefined;
  private closed = false;

  constructor(private readonly options: CheckpointerOptions) {}

  /** Starts tracking a shard this client now reads from `committed`. */
  open(stream: string, shardId: string, committed: string | undefined): ShardHandle {
    const handle = new ShardHandle(this, stream, shardId, committed);
    this.handles.set(`${stream}/${shardId}`, handle);
    return handle;
  }

  /**
   * Records that `record` (and everything before it in its shard) has been processed. Marks only
   * move forward, so a record filtered out of the pipeline never holds a later one back.
   */
  mark(record: KinesumerRecord): void {
    const handle = (record as Partial<LinkedRecord> | null | undefined)?.[SHARD];
    if (!(handle instanceof ShardHandle) || handle.owner !== this) {
      throw new UsageError(
        'markRecord()/checkpoint() was given a value that is not a record delivered by this consumer',
        'FOREIGN_RECORD',
      );
    }
    if (this.closed) throw new ClosedError('markRecord()');
    if (handle.active && isAfter(record.sequenceNumber, handle.marked)) handle.marked = record.sequenceNumber;
  }

  /** Writes every mark not yet written. Emits nothing; completes when done. Never errors. */
  commit$(): Observable<never> {
    return defer(() => (this.running ? concat(this.running, this.commit$()) : this.start$(this.dirty())));
  }

  /** Stops tracking a shard after writing its marks (the shard left this client). */
  release$(stream: string, shardId: string): Observable<never> {
    return defer(() => {
      const key = `${stream}/${shardId}`;
      const handle = this.handles.get(key);
      if (handle === undefined) return EMPTY;
      handle.active = false;
      const write = this.running ? concat(this.running, defer(() => this.start$(dirtyOf([handle])))) : this.start$(dirtyOf([handle]));
      return write.pipe(
        finalize(() => {
          if (this.handles.get(key) === handle) this.handles.delete(key);
        }),
      );
    });
  }

  /** Commits every mark, then refuses new marks. */
  close$(): Observable<never> {
    return concat(
      this.commit$(),
      defer(() => {
        this.closed = true;
        for (const handle of this.handles.values()) handle.active = false;
        this.handles.clear();
        return EMPTY;
      }),
    );
  }

  /** Whether `closed`: marks are refused. */
  get isClosed(): boolean {
    return this.closed;
  }

  private dirty(): ShardHandle[] {
    return dirtyOf(this.handles.values());
  }

  private start$(handles: ShardHandle[]): Observable<never> {
    if (handles.length === 0) return EMPTY;
    const run = this.write$(handles).pipe(
      finalize(() => {
        if (this.running === run) this.running = undefined;
      }),
      share(),
    );
    this.running = run;
    return run;
  }

  private write$(handles: ShardHandle[]): Observable<never> {
    const { app, store, scheduler, report } = this.options;
    const byStream = new Map<string, { handle: ShardHandle; sequenceNumber: string }[]>();
    for (const handle of handles) {
      const list = byStream.get(handle.stream) ?? [];
      list.push({ handle, sequenceNumber: handle.marked! });
      byStream.set(handle.stream, list);
    }
    const now = new Date(scheduler.now());
    const writes = [...byStream].map(([stream, entries]) => {
      const checkpoints: Checkpoint[] = entries.map(({ handle, sequenceNumber }) => ({
        shardId: handle.shardId,
        sequenceNumber,
        lastUpdate: now,
      }));
      return defer(() => from(store.updateCheckpoints(app, stream, checkpoints))).pipe(
        timeout({
          each: this.options.timeout,
          with: () => {
            throw new Error(`no answer within ${this.options.timeout} ms`);
          },
          scheduler,
        }),
        ignoreElements(),
        // Only on success: the written snapshot becomes the committed position.
        (source) =>
          concat(
            source,
            defer(() => {
              for (const { handle, sequenceNumber } of entries) {
                if (isAfter(sequenceNumber, handle.committed)) handle.committed = sequenceNumber;
              }
              return EMPTY;
            }),
          ),
        catchError((err: unknown) => {
          report(
            new CheckpointError(
              stream,
              entries.map((e) => e.handle.shardId),
              describeCause(err),
              { cause: err },
            ),
          );
          return EMPTY;
        }),
      );
    });
    return merge(...writes);
  }
}

function dirtyOf(handles: Iterable<ShardHandle>): ShardHandle[] {
  const out: ShardHandle[] = [];
  for (const handle of handles) {
    if (handle.marked !== undefined && handle.marked !== handle.committed) out.push(handle);
  }
  return out;
}
