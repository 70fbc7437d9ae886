/**
 * With BENCH_PROFILE=1, a CPU profile of exactly the measured window of an end-to-end child (an
 * inspector session started and stopped around the clock), so that module loading and warm-up,
 * which are not measured, do not drown what is. Written to .bench/prof/SIDE-PID.cpuprofile;
 * `node --import tsx bench/profile-summary.ts` sums the profiles by package.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts profiling when BENCH_PROFILE is set; the returned function stops and writes the profile. */
export async function profileWindow(side: string): Promise<() => Promise<void>> {
  if (!process.env['BENCH_PROFILE']) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // BENCH_PROFILE_US: the sampling interval in µs (default 1000); finer finds smaller costs, and slows the run more.
  await session.post('Profiler.setSamplingInterval', { interval: Number(process.env['BENCH_PROFILE_US'] ?? 1000) });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    mkdirSync('.bench/prof', { recursive: true });
    writeFileSync(`.bench/prof/${side}-${process.pid}.cpuprofile`, JSON.stringify(profile));
  };
}
