/**
 * A group member in its own process (spec/faults/crash-member.ts) as a test sees it: its events
 * read back from the file it writes synchronously, SIGKILL and SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Delivery } from './fixtures.js';

const script = fileURLToPath(new URL('./crash-member.ts', import.meta.url));

export interface Line {
  t: number;
  shard?: string;
  seq?: string;
  key?: string;
  data?: string;
  committed?: string;
  crash?: string;
  event?: string;
  error?: string;
  message?: string;
  assignment?: string[];
}

/** A member process writing its events to a file. */
export class CrashMember {
  readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(
    readonly id: string,
    readonly file: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', script], {
      env: { ...(process.env as Record<string, string>), ...env, MEMBER_ID: id, MEMBER_OUT: file },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  lines(): Line[] {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((l) => l.endsWith('}'))
      .map((l) => JSON.parse(l) as Line);
  }

  deliveries(): Delivery[] {
    return this.lines()
      .filter((l) => l.data !== undefined)
      .map((l) => ({ member: this.id, stream: '', shard: l.shard!, seq: l.seq!, key: l.key!, data: l.data!, t: l.t }));
  }

  /** The last applied checkpoint of each shard. */
  committed(): Map<string, string> {
    const out = new Map<string, string>();
    for (const l of this.lines()) if (l.committed !== undefined && l.seq !== undefined) out.set(l.committed, l.seq);
    return out;
  }

  get dead(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async kill(): Promise<void> {
    if (!this.dead) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.dead) return;
    const force = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    this.child.kill('SIGTERM');
    await this.exited;
    clearTimeout(force);
  }
}
