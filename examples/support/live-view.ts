/**
 * A status block redrawn in place on a terminal, with event lines scrolling above it; on anything
 * else (CI logs, a pipe) a compact line per update, so the output stays readable as a log.
 */

/** What to show at one moment. */
export interface Frame {
  /** The block drawn in place on a terminal. */
  lines: string[];
  /** The one line printed instead when the output is not a terminal. */
  compact: string;
}

export class LiveView {
  private readonly tty: boolean;
  /** Lines of the block on screen now, to erase before the next draw. */
  private drawn = 0;
  private last: Frame | undefined;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = out.isTTY === true && process.env['TERM'] !== 'dumb';
    if (this.tty) out.write('\x1b[?25l'); // hide the cursor while redrawing
  }

  /** Shows `frame`: redrawn over the previous one on a terminal, appended as one line elsewhere. */
  update(frame: Frame): void {
    this.last = frame;
    if (!this.tty) {
      this.out.write(`${frame.compact}\n`);
      return;
    }
    this.out.write(this.erase() + frame.lines.map((l) => `${l}\x1b[K`).join('\n') + '\n');
    this.drawn = frame.lines.length;
  }

  /** Prints a line that stays (an event), above the block. */
  event(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    this.out.write(`${this.erase()}${line}\x1b[K\n`);
    this.drawn = 0;
    if (this.last) this.update(this.last);
  }

  /** Leaves the last block on screen and gives the cursor back. */
  close(): void {
    if (this.tty) this.out.write('\x1b[?25h');
  }

  /** Moves up over the drawn block and clears from there down. */
  private erase(): string {
    return this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
  }
}
