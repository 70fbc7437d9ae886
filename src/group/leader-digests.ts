import { Subject, type Observable } from 'rxjs';
import type { StreamSnapshot } from './shard-lineage.js';
import { snapshotDigest } from './snapshot-digest.js';

/**
 * The digests of each stream's snapshot that this client's heartbeat publishes while it leads
 * (see {@link snapshotDigest}); followers whose snapshots match them skip reading. One per run
 * of the group sync.
 */
export class LeaderDigests {
  /**
   * Emits when the digests changed to new ones (not when leading ended) and there are followers
   * to read them: a heartbeat goes out at once, so that they do not wait a round. A leader alone
   * sends none (a follower's first round reads everything anyway); its next heartbeat carries them.
   */
  readonly changed$: Observable<void>;

  private digests: Record<string, string> | undefined;
  private readonly changes = new Subject<void>();

  constructor() {
    this.changed$ = this.changes.asObservable();
  }

  /** The digests to publish now; `undefined` while not leading. */
  get current(): Record<string, string> | undefined {
    return this.digests;
  }

  /**
   * Takes the digests of a round's snapshots while leading, `undefined` otherwise.
   * @param snapshots The round's snapshots by stream, or `undefined` when not leading.
   * @param followed Whether the round saw other clients in the group.
   */
  publish(snapshots: Record<string, StreamSnapshot> | undefined, followed = true): void {
    const next = snapshots === undefined ? undefined : Object.fromEntries(Object.entries(snapshots).map(([stream, snapshot]) => [stream, snapshotDigest(snapshot)]));
    const changed = JSON.stringify(next) !== JSON.stringify(this.digests);
    this.digests = next;
    if (changed && next !== undefined && followed) this.changes.next();
  }
}
