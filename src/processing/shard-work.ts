import { EMPTY, Observable, Subject, defer, take, type Subscription } from 'rxjs';
import { ORDINAL, type LinkedRecord } from '../checkpoint/linked-record.js';
import type { ShardProgress } from '../checkpoint/shard-progress.js';
import type { ConsumerHooks } from '../consumer/consumer-hooks.js';
import { ClosedError } from '../errors.js';
import { Fifo } from '../internal/fifo.js';
import type { KinesumerRecord } from '../record.js';

/** One record handed to a processing operator. */
export interface WorkEntry {
  readonly record: KinesumerRecord;
  /** Its position among its shard's deliveries. */
  readonly ordinal: number;
  started: boolean;
  done: boolean;
  /** The handler call, while it runs: cancelled when the shard is lost. */
  run?: Subscription | undefined;
}

/**
 * A processing operator's bookkeeping for one shard this client holds (one {@link ShardProgress}):
 * the records handed to it in delivery order, which of them are done, and the checkpoint that
 * follows from that. The checkpoint advances only over the contiguous prefix of done records, so
 * a crash re-delivers only unfinished work and nothing after a gap is marked.
 *
 * When the shard is released (a handoff, `refresh()`, or the record stream completing on
 * `close()`), the shard *drains*: records after the last done one are not started any more; the
 * ones running, and the ones before a done record, get to finish (the release waits for that up
 * to `commit.timeout`), so the final checkpoint covers everything done and a graceful handoff
 * delivers nothing twice. A lost shard stops at once: its new owner has it.
 */
export class ShardWork {
  /** The entries not yet covered by the checkpoint, in delivery order. */
  private readonly pending = new Fifo<WorkEntry>();
  /** The highest ordinal done; -1 before the first. */
  private frontier = -1;
  private running = 0;
  private drainingNow = false;
  private readonly drainedSubject = new Subject<void>();
  private readonly unregister: () => void;
  private readonly lostSubscription: Subscription;

  /**
   * @param onDrain The shard started draining: look at its waiting records again.
   * @param onGone The shard left this client (released or lost): drop everything of it.
   */
  constructor(
    readonly progress: ShardProgress,
    private readonly hooks: ConsumerHooks,
    onDrain: (work: ShardWork) => void,
    onGone: (work: ShardWork) => void,
  ) {
    this.unregister = progress.onRelease(() => this.drain$(onDrain));
    this.lostSubscription = progress.lost$.subscribe({ next: () => onGone(this), complete: () => onGone(this) });
  }

  /** Hands `record` to this shard's bookkeeping. */
  add(record: KinesumerRecord): WorkEntry {
    const entry: WorkEntry = { record, ordinal: (record as LinkedRecord)[ORDINAL], started: false, done: false };
    this.pending.push(entry);
    return entry;
  }

  /** Whether `entry` may start now: always, except while draining, when only records before a done one may. */
  mayStart(entry: WorkEntry): boolean {
    return !this.drainingNow || entry.ordinal < this.frontier;
  }

  /** `entry`'s handler starts. */
  started(entry: WorkEntry): void {
    entry.started = true;
    this.running += 1;
  }

  /**
   * `entry` is done (processed or dead-lettered): the checkpoint moves over the done prefix.
   * Returns whether a draining shard's frontier moved (waiting records may start now).
   */
  finished(entry: WorkEntry): boolean {
    entry.done = true;
    entry.run = undefined;
    this.running -= 1;
    const moved = entry.ordinal > this.frontier;
    if (moved) this.frontier = entry.ordinal;
    let last: WorkEntry | undefined;
    while (this.pending.peek()?.done) last = this.pending.shift();
    if (last !== undefined) this.mark(last.record);
    if (this.drainingNow && this.isDrained()) this.drainedSubject.next();
    return moved && this.drainingNow;
  }

  /** Records of this shard whose handler runs now. */
  get inFlight(): number {
    return this.running;
  }

  /** Whether the shard is draining (it is being released, or the record stream completed). */
  get draining(): boolean {
    return this.drainingNow;
  }

  /** Starts draining (the record stream completed): like a release, without waiting for it. */
  startDraining(): void {
    this.drainingNow = true;
  }

  /** Draining, and nothing runs any more that the final checkpoint could still cover. */
  isDrained(): boolean {
    if (this.running > 0) return false;
    for (const entry of this.pending) {
      if (entry.ordinal >= this.frontier) return true; // delivery order: the rest come later still
      if (!entry.done) return false;
    }
    return true;
  }

  /** Cancels what runs and stops the bookkeeping; returns the entries that never finished. */
  dispose(): WorkEntry[] {
    this.unregister();
    this.lostSubscription.unsubscribe();
    const unfinished = [...this.pending].filter((entry) => !entry.done);
    for (const entry of unfinished) {
      entry.run?.unsubscribe();
      entry.done = true; // a late answer of a cancelled call is ignored
    }
    this.pending.clear();
    this.running = 0;
    return unfinished;
  }

  private drain$(onDrain: (work: ShardWork) => void): Observable<void> {
    return defer(() => {
      this.drainingNow = true;
      onDrain(this);
      return this.isDrained() ? EMPTY : this.drainedSubject.pipe(take(1));
    });
  }

  /** Marks `record`; after `close()`'s final commit, marks are refused and the record passes unmarked (it is delivered again). */
  private mark(record: KinesumerRecord): void {
    try {
      this.hooks.mark(record);
    } catch (err) {
      if (!(err instanceof ClosedError)) throw err;
    }
  }
}
