/**
 * `kinesumer status --watch`: the status again every interval until SIGINT or SIGTERM; redrawn in
 * place on a terminal, one compact line per update elsewhere (a pipe, a CI log), one JSON
 * document per line with `--json`.
 */
import type { GroupStatus } from './group-status.js';

/** What {@link watchStatus} needs. */
export interface WatchOptions {
  /** Reads the status once; a failure after the first read is reported and the watch goes on. */
  read: () => Promise<GroupStatus>;
  /** The table form of one status. */
  render: (group: GroupStatus) => string;
  /** One JSON document per update instead of the table. */
  json: boolean;
  /** Time between the starts of two reads, ms. */
  interval: number;
  /** Ends the watch (SIGINT, SIGTERM). */
  signal: AbortSignal;
  /** Where read failures after the first go (stderr). */
  log: (line: string) => void;
}

/**
 * Shows the status until `signal` aborts.
 *
 * @param out Where the status goes (stdout); redrawn in place when it is a terminal.
 * @param options How to read and show it.
 * @returns When the watch ended. Rejects only when the first read fails.
 */
export async function watchStatus(out: NodeJS.WritableStream & { isTTY?: boolean }, options: WatchOptions): Promise<void> {
  const tty = out.isTTY === true && process.env['TERM'] !== 'dumb' && !options.json;
  let drawn = 0;
  let first = true;
  while (!options.signal.aborted) {
    const started = Date.now();
    let group: GroupStatus | undefined;
    try {
      group = await options.read();
    } catch (err) {
      if (first) throw err;
      options.log(`reading the status failed, trying again: ${err instanceof Error ? err.message : String(err)}`);
    }
    first = false;
    if (group !== undefined && !options.signal.aborted) {
      if (options.json) out.write(`${JSON.stringify(group)}\n`);
      else if (!tty) out.write(`${compactLine(group)}\n`);
      else {
        const lines = options.render(group).replace(/\n$/, '').split('\n');
        // up over the last drawing, clear to the end of the screen, draw; each line cleared to its end
        out.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.map((l) => `${l}\x1b[K`).join('\n')}\n`);
        drawn = lines.length;
      }
    }
    await sleep(Math.max(0, options.interval - (Date.now() - started)), options.signal);
  }
}

/**
 * One line for a log: `2024-03-01T12:00:05.120Z 2 alive, leader member-1 | "orders" lag 1.2 s, 40 in
 * flight, 3 reading, 1 paused`.
 */
export function compactLine(group: GroupStatus): string {
  const alive = group.clients.filter((c) => c.alive).length;
  const head = `${group.time} ${alive} alive${group.leader === null ? ', no leader' : `, leader ${group.leader}`}`;
  const streams = group.streams.map((s) => {
    const { lagMs, inFlight, statuses } = s.total;
    const counts = Object.entries(statuses).map(([status, n]) => `${n} ${status}`);
    return `"${s.stream}" lag ${lagMs === null ? '?' : `${(lagMs / 1000).toFixed(1)} s`}, ${inFlight} in flight${counts.length > 0 ? `, ${counts.join(', ')}` : ''}`;
  });
  return [head, ...streams].join(' | ');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
