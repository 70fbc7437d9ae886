/**
 * The measured window of an end-to-end child: CPU (user + system) and wall time from start() to
 * stop(), the RSS when the window opens, and the process's peak RSS (getrusage's maxrss, kept by
 * the kernel: exact, and no sampling timer that would cost CPU inside the window). With
 * BENCH_PROFILE=1, a CPU profile of exactly that window (see window-profile.ts). Every child
 * prints the same JSON line, so the parent compares like with like.
 */
import { profileWindow } from './window-profile.js';

/** What one child measured; `firstMs` is the wall time until the first record. */
export interface Measured {
  records: number;
  wallMs: number;
  cpuUs: number;
  /** Peak RSS of the process, bytes. */
  peakRss: number;
  /** RSS when the window opened (modules loaded), bytes. */
  startRss: number;
  firstMs?: number;
  /** Problems the consumer reported in the window, by code. */
  errors?: Record<string, number>;
}

/** start() opens the window, first() notes the first record, stop() closes it and returns the figures. */
export function window(side: string): { start: () => Promise<void>; first: () => void; stop: (records: number) => Promise<Measured> } {
  let stopProfile: () => Promise<void> = async () => undefined;
  let cpu = process.cpuUsage();
  let startedAt = 0;
  let startRss = 0;
  let firstMs: number | undefined;
  return {
    start: async () => {
      startRss = process.memoryUsage.rss();
      stopProfile = await profileWindow(side);
      cpu = process.cpuUsage();
      startedAt = performance.now();
    },
    first: () => {
      firstMs ??= performance.now() - startedAt;
    },
    stop: async (records) => {
      const wallMs = performance.now() - startedAt;
      const used = process.cpuUsage(cpu);
      await stopProfile();
      const peakRss = process.resourceUsage().maxRSS * 1024;
      return { records, wallMs, cpuUs: used.user + used.system, peakRss, startRss, ...(firstMs === undefined ? {} : { firstMs }) };
    },
  };
}

/** One slice of a live run: CPU used and records received in it. */
export interface Slice {
  cpuUs: number;
  records: number;
}

/**
 * The window of a live run (WINDOW=live): after LIVE_WARMUP_MS (the start and the join are not
 * counted), LIVE_SLICES slices of LIVE_SLICE_MS each, with the CPU used and the records received
 * in each (`received()` counts them), the requests made in the window (`requests()` counts them
 * by kind), and the peak RSS. Prints one JSON line and exits.
 */
export function liveWindow(received: () => number, side: string, requests: () => Record<string, number> = () => ({})): void {
  const warmup = Number(process.env['LIVE_WARMUP_MS'] ?? 10_000);
  const sliceMs = Number(process.env['LIVE_SLICE_MS'] ?? 10_000);
  const slices = Number(process.env['LIVE_SLICES'] ?? 6);
  const out: Slice[] = [];
  let stopProfile: () => Promise<void> = async () => undefined;
  setTimeout(async () => {
    stopProfile = await profileWindow(`${side}-live`);
    let cpu = process.cpuUsage();
    let count = received();
    const before = requests();
    const timer = setInterval(async () => {
      const used = process.cpuUsage(cpu);
      const now = received();
      out.push({ cpuUs: used.user + used.system, records: now - count });
      cpu = process.cpuUsage();
      count = now;
      if (out.length < slices) return;
      clearInterval(timer);
      await stopProfile();
      const after = requests();
      const made = Object.fromEntries(Object.entries(after).map(([kind, n]) => [kind, n - (before[kind] ?? 0)]).filter(([, n]) => n !== 0));
      console.log(JSON.stringify({ slices: out, requests: made, peakRss: process.resourceUsage().maxRSS * 1024 }));
      process.exit(0);
    }, sliceMs);
  }, warmup);
}
