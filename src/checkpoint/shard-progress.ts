import { EMPTY, Observable, Subject, defer, finalize, merge, take } from 'rxjs';
import { encodePosition, isAfterPosition, positionOf, wholeRecordBefore, type KnownPosition, type Position } from '../position.js';

/** A fenced item write as it started: the marks of that moment and the checkpoint it replaces. */
export interface ItemCommit {
  sequenceNumber: string | undefined;
  subSequenceNumber: number | undefined;
  /** With `subSequenceNumber`: kinesumer's checkpoint, a record before the aggregate (see `wholeRecordBefore`). */
  precedingSequenceNumber: string | undefined;
  /** The checkpoint the store holds, as far as this client knows: the write's fencing condition. */
  previous: string | undefined;
  /** The `seek` the shard's reading started from: the write's other fencing condition. */
  seek: number;
  /** The write also records the shard finished (every record of the ended shard is marked). */
  finishing: boolean;
  /** Records known processed when the write started. */
  reached: number;
}

/** What kinesumer (Go) needs besides the stored position: see {@link ShardProgress}'s constructor. */
export interface KinesumerCheckpoint {
  /** The stored position's kinesumer checkpoint, when it is inside an aggregate (`ShardState.precedingSequenceNumber`). */
  storedPreceding?: string | undefined;
  /** The shard's starting sequence number, when known: kinesumer's checkpoint when nothing before an aggregate is known. */
  shardStart?: string | undefined;
}

/** What a landed write did: records newly covered by a commit (`undefined`: nothing to count), and whether the shard is finished now. */
export interface Landed {
  committed: number | undefined;
  finished: boolean;
}

/**
 * How far one shard this client holds got: what its reader delivered, what the pipeline marked
 * processed, and what the state store holds. Every record read from the shard links to it.
 *
 * Its fields are private: the reader side reports deliveries and the shard's end, marks come
 * through {@link ShardProgress.mark}, and the checkpoint writer reads snapshots and reports what
 * landed. Each group of fields has one writer, so no two parts of the library update the same
 * number.
 */
export class ShardProgress {
  // What the reader delivered.
  private deliveredCount = 0;
  private lastDelivered: string | undefined;
  /** Resuming inside a KPL aggregate: its user records up to `sub` were processed before. */
  private resumeInside: { sequenceNumber: string; sub: number } | undefined;
  /** The checkpoint reading resumed after, and kinesumer's checkpoint stored with it. */
  private readonly resumed: KnownPosition;
  private readEnded = false;

  // What the pipeline marked processed.
  private marked: string | undefined;
  private markedSub: number | undefined;
  /** Inside an aggregate: a record before it that kinesumer can resume after. */
  private markedPreceding: string | undefined;
  /** One past the ordinal of the last marked record: records known processed. */
  private reachedCount = 0;
  /** While the reader waits for room: the in-flight count that lets it read again; -1 otherwise. */
  private waitingBelow = -1;
  private readonly room = new Subject<void>();

  // What the state store holds.
  private stored: string | undefined;
  private storedSub: number | undefined;
  private storedPreceding: string | undefined;
  private finishedMark = false;
  /**
   * Checkpoints this client tried to write whose answer never came (a timeout, a dropped
   * connection): one may have landed, and then the next fenced write fails although the shard is
   * still ours.
   */
  private readonly unconfirmed = new Set<string>();
  /** `reachedCount` as of the last commit that landed (for the checkpointed-records metric). */
  private reachedCommitted = 0;
  /** The position the last landed heartbeat carried (`seq` or `seq/sub`). */
  private beaten: string | undefined;

  // Whether this client still holds the shard.
  private held = true;
  /** A seek restarted the shard: it stopped at once, and is freed (or taken again) without a final write. */
  private soughtAway = false;
  private readonly lost = new Subject<void>();
  /** Work to let finish before the shard is released: records a processing operator has in flight. */
  private readonly drains = new Set<() => Observable<unknown>>();

  /** Emits once when a fenced write showed another client holds the shard; completes when the shard leaves this client. */
  readonly lost$: Observable<void> = this.lost.asObservable();

  /**
   * @param owner The checkpointer that tracks it: a record of another consumer is refused.
   * @param stored The checkpoint the store holds, even one left by an older stream of the same name.
   * @param resumeAfter The checkpoint reading resumes after, when it is valid for this shard.
   * @param storedSub The stored sub-sequence (a partly processed aggregate at the checkpoint).
   * @param kinesumer kinesumer's checkpoint stored with it, and the shard's start. A position
   *   inside an aggregate stored without the former (by an older version) is written again with
   *   one at the next commit.
   * @param seek The `seek` of the state the shard was taken with: every write is fenced on it.
   */
  constructor(
    readonly owner: object,
    readonly stream: string,
    readonly shardId: string,
    stored: string | undefined,
    resumeAfter: string | undefined,
    storedSub?: number,
    private readonly kinesumer: KinesumerCheckpoint = {},
    readonly seek = 0,
  ) {
    this.stored = stored;
    this.storedSub = storedSub;
    this.storedPreceding = storedSub === undefined ? undefined : kinesumer.storedPreceding;
    this.resumed = { sequenceNumber: resumeAfter, precedingSequenceNumber: resumeAfter === undefined ? undefined : this.storedPreceding };
    this.marked = resumeAfter;
    this.markedSub = resumeAfter === undefined ? undefined : storedSub;
    this.markedPreceding = this.markedSub === undefined ? undefined : (kinesumer.storedPreceding ?? kinesumer.shardStart);
    this.resumeInside = resumeAfter !== undefined && storedSub !== undefined ? { sequenceNumber: resumeAfter, sub: storedSub } : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // The reader side

  /** Records delivered from this shard so far: the ordinal of the next one. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** Resuming inside a partly processed aggregate: the user records of it to skip. */
  get skip(): { sequenceNumber: string; sub: number } | undefined {
    return this.resumeInside;
  }

  /**
   * For the aggregate at `sequenceNumber`, the first record of a page: a record before it that
   * kinesumer can resume after (every record before the aggregate is processed once part of it
   * is). The last record of the pages before, else what reading started from (`wholeRecordBefore`).
   */
  before(sequenceNumber: string): string | undefined {
    return this.lastDelivered ?? wholeRecordBefore(sequenceNumber, this.resumed, this.kinesumer.shardStart);
  }

  /**
   * A page was delivered: `next` is the ordinal of the record after it, `lastSequenceNumber` the
   * page's last Kinesis record (`undefined` for an empty page).
   */
  pageDelivered(next: number, lastSequenceNumber: string | undefined): void {
    if (lastSequenceNumber !== undefined) {
      this.lastDelivered = lastSequenceNumber;
      this.resumeInside = undefined;
    }
    this.deliveredCount = next;
  }

  /** The reader delivered every record of the (closed) shard. Returns whether it can be recorded finished now. */
  readerEnded(): boolean {
    this.readEnded = true;
    return this.held && this.complete;
  }

  /** Records delivered but not yet processed (as far as marks tell). */
  get inFlight(): number {
    return this.deliveredCount - this.reachedCount;
  }

  /** Records known processed so far. */
  get reached(): number {
    return this.reachedCount;
  }

  /** Whether the reader waits for room under the in-flight bound (see {@link ShardProgress.roomBelow}). */
  get heldBack(): boolean {
    return this.waitingBelow >= 0;
  }

  /** The sequence number of the last marked record, while the shard is held. */
  get markedSequenceNumber(): string | undefined {
    return this.held ? this.marked : undefined;
  }

  /**
   * Completes (without a value) once at most `threshold` records are in flight; the reader waits
   * on it before a call when the shard is at its bound.
   */
  roomBelow(threshold: number): Observable<void> {
    return defer(() => {
      this.waitingBelow = threshold;
      return this.room.pipe(
        take(1),
        finalize(() => (this.waitingBelow = -1)),
      );
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Marks

  /**
   * Records that the record at `sequenceNumber` (inside an aggregate up to `sub`, with `preceding`
   * a record before the aggregate kinesumer can resume after: see {@link ShardProgress.before}),
   * the `ordinal`-th delivered, and everything before it were processed. Marks only move forward,
   * and not at all once the shard left this client. Returns whether this made the ended shard
   * complete (it can be recorded finished now).
   */
  mark(sequenceNumber: string, sub: number | undefined, ordinal: number, preceding?: string): boolean {
    if (!this.held || !isAfterPosition(sequenceNumber, sub, this.marked, this.markedSub)) return false;
    this.marked = sequenceNumber;
    this.markedSub = sub;
    this.markedPreceding = sub === undefined ? undefined : preceding;
    const reached = ordinal + 1;
    if (reached > this.reachedCount) {
      this.reachedCount = reached;
      if (this.waitingBelow >= 0 && this.inFlight <= this.waitingBelow) {
        this.waitingBelow = -1;
        this.room.next();
      }
    }
    return this.readEnded && this.complete;
  }

  // ---------------------------------------------------------------------------------------------
  // Holding the shard

  /** Whether this client still holds the shard: marks count only then. */
  get isHeld(): boolean {
    return this.held;
  }

  /**
   * Registers `drain`, which the release of this shard runs first (for up to `commit.timeout`): a
   * processing operator lets the records it has in flight finish there, so that the final
   * checkpoint covers them. Returns the function that unregisters it.
   */
  onRelease(drain: () => Observable<unknown>): () => void {
    this.drains.add(drain);
    return () => this.drains.delete(drain);
  }

  /**
   * Whether a processing operator tracks every delivered record of this shard (it registered a
   * drain): then no record is ever dropped before its mark, and a wait for room is a wait for
   * processing, never a stall to escape.
   */
  get tracked(): boolean {
    return this.drains.size > 0;
  }

  /** What the release waits for before its final write; completes at once when nothing was registered. */
  drain$(): Observable<unknown> {
    return defer(() => (this.drains.size === 0 ? EMPTY : merge(...[...this.drains].map((drain) => drain()))));
  }

  /** Marks from now on are ignored (the shard is being released: they could miss the final write). */
  stopMarking(): void {
    this.held = false;
  }

  /** The shard left this client (released, or replaced by a new take): `lost$` completes. */
  left(): void {
    this.held = false;
    this.lost.complete();
  }

  /** A fenced write showed another client holds the shard: `lost$` emits, then completes. */
  wasLost(): void {
    this.held = false;
    this.lost.next();
    this.lost.complete();
  }

  /**
   * The shard was sought (its stored `seek` grew): like a lost shard it stops at once (`lost$`
   * emits, marks are ignored, processing operators drop its records), but it is still this
   * client's in the store, to take again or to free without writing marks.
   */
  wasSought(): void {
    this.soughtAway = true;
    this.wasLost();
  }

  /** Whether a seek stopped the shard ({@link ShardProgress.wasSought}). */
  get sought(): boolean {
    return this.soughtAway;
  }

  /** Every record delivered from the ended shard is marked: the shard can be recorded finished. */
  get complete(): boolean {
    return this.readEnded && (this.lastDelivered === undefined || (this.marked === this.lastDelivered && this.markedSub === undefined));
  }

  /** The shard is recorded finished in the store. */
  get finished(): boolean {
    return this.finishedMark;
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoint items (the fenced writes)

  /** Whether the item needs a write: the marks moved past what it holds, or the shard can be recorded finished. */
  get dirty(): boolean {
    // (an aggregate position stored without kinesumer's checkpoint, by an older version, is written again)
    const moved =
      this.marked !== undefined && (this.marked !== this.stored || this.markedSub !== this.storedSub || this.markedPreceding !== this.storedPreceding);
    return moved || (this.complete && !this.finishedMark);
  }

  /** A write of the marks as they are now. Marks made while it is in flight go into the next one. */
  itemCommit(): ItemCommit {
    return {
      sequenceNumber: this.marked,
      subSequenceNumber: this.markedSub,
      precedingSequenceNumber: this.markedSub === undefined ? undefined : this.markedPreceding,
      previous: this.stored,
      seek: this.seek,
      finishing: this.complete && !this.finishedMark,
      reached: this.reachedCount,
    };
  }

  /** `commit` was applied: the store holds it now. */
  itemWritten(commit: ItemCommit): Landed {
    const { sequenceNumber, subSequenceNumber, precedingSequenceNumber, reached } = commit;
    // A position a heartbeat already made durable is not counted a second time.
    const beaten = sequenceNumber !== undefined && encodePosition(positionOf(sequenceNumber, subSequenceNumber)) === this.beaten;
    const committed = !beaten || reached > this.reachedCommitted ? reached - this.reachedCommitted : undefined;
    this.reachedCommitted = Math.max(this.reachedCommitted, reached);
    this.unconfirmed.clear();
    if (sequenceNumber !== undefined) {
      this.stored = sequenceNumber;
      this.storedSub = subSequenceNumber;
      this.storedPreceding = precedingSequenceNumber;
    }
    const finished = commit.finishing && !this.finishedMark;
    if (commit.finishing) this.finishedMark = true;
    return { committed, finished };
  }

  /** The answer to the write of `commit` never came: it may have landed. */
  itemUnconfirmed(commit: ItemCommit): void {
    if (commit.sequenceNumber !== undefined) this.unconfirmed.add(commit.sequenceNumber);
  }

  /** Whether a write whose answer was lost might explain a failed condition. */
  get hasUnconfirmed(): boolean {
    return this.unconfirmed.size > 0;
  }

  /**
   * After a fenced write failed: the store holds `stored` with this client as the owner. If that is
   * one of the writes whose answer was lost, the shard was never lost and `stored` becomes the
   * next write's `previous`. Returns whether it was.
   */
  landedEarlier(stored: string | undefined): boolean {
    if (stored === undefined || !this.unconfirmed.has(stored)) return false;
    this.stored = stored;
    this.unconfirmed.clear();
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeat commits

  /** The position a heartbeat carries for this shard: the marks, while the shard is held. */
  get beatPosition(): Position | undefined {
    return this.held && this.marked !== undefined ? positionOf(this.marked, this.markedSub) : undefined;
  }

  /**
   * The marks, when they are further on than what this client knows its item holds (whether or
   * not the shard is still held): what a heartbeat must keep carrying once the shard left this
   * client without its final item write landing, so that whoever takes it next starts there.
   */
  get unwrittenPosition(): Position | undefined {
    if (this.marked === undefined || !isAfterPosition(this.marked, this.markedSub, this.stored, this.storedSub)) return undefined;
    return positionOf(this.marked, this.markedSub);
  }

  /** Whether the marks moved since the last heartbeat that landed. */
  get movedSinceBeat(): boolean {
    const position = this.beatPosition;
    return position !== undefined && encodePosition(position) !== this.beaten;
  }

  /** A heartbeat carrying `position` (encoded), written when `reached` records were known processed, landed. Returns the records it newly covers (0: none). */
  beatLanded(position: string, reached: number): number {
    const committed = Math.max(0, reached - this.reachedCommitted);
    if (committed > 0) this.reachedCommitted = reached;
    this.beaten = position;
    return committed;
  }
}
