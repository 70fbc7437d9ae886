/**
 * Sums the CPU profiles in .bench/prof (from `BENCH_PROFILE=1 npm run bench -- end-to-end`) by
 * side and by package: self time in ms per run, the largest first. Not a benchmark (run.ts skips it).
 *
 *   node --import tsx bench/profile-summary.ts [dir]
 */
import { readdirSync, readFileSync } from 'node:fs';

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules package, node: module, src/ file, or the V8 pseudo-frame, of a call frame. */
function placeOf({ functionName, url }: { functionName: string; url: string }): string {
  const inModules = url.split('node_modules/').pop()!;
  if (url.includes('node_modules/')) {
    const [scope, name] = inModules.split('/');
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
  }
  for (const root of ['src', 'dist']) if (url.includes(`/${root}/`)) return `${root}/${url.split(`/${root}/`).pop()}`;
  if (url.startsWith('node:')) return url;
  if (url === '') return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  return url.split('/').pop()!;
}

const dir = process.argv[2] ?? '.bench/prof';
const bySide = new Map<string, { runs: number; ms: Map<string, number> }>();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const side = file.replace(/-\d+\.cpuprofile$/, '');
  const entry = bySide.get(side) ?? { runs: 0, ms: new Map<string, number>() };
  bySide.set(side, entry);
  entry.runs += 1;
  const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Profile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  // A sample stands for the time since the one before. On a loaded machine that gap also holds
  // time the process was not running at all (the next sample gets it, wherever it lands), so a
  // sample counts for at most twice the usual interval.
  const cap = 2 * [...profile.timeDeltas].sort((a, b) => a - b)[Math.floor(profile.timeDeltas.length / 2)]!;
  profile.samples.forEach((id, i) => {
    const place = placeOf(frames.get(id)!);
    entry.ms.set(place, (entry.ms.get(place) ?? 0) + Math.min(profile.timeDeltas[i]!, cap) / 1000);
  });
}
for (const [side, { runs, ms }] of bySide) {
  const rows = [...ms].filter(([place]) => place !== '(idle)').sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, v]) => sum + v, 0) / runs;
  console.log(`\n${side}: ${runs} runs, ${total.toFixed(0)} ms of CPU per run in the window (sampled)`);
  for (const [place, v] of rows.slice(0, 20)) console.log(`${(v / runs).toFixed(1).padStart(9)}  ${place}`);
}
