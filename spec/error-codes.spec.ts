/**
 * The README's error-code table names every code the library uses, and only those: codes are
 * found in src/ where errors are made (`super('CODE', ...)`, `code: 'CODE'`, `code = 'CODE'`,
 * `code ?? 'CODE'`, and a code as the first or last argument of an error's constructor).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const CODE = "'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)'";
const PATTERNS = [
  new RegExp(`\\bsuper\\(\\s*${CODE}`, 'g'),
  new RegExp(`\\bcode\\s*(?::|=|\\?\\?)\\s*${CODE}`, 'g'),
  new RegExp(`\\bnew [A-Za-z]*Error\\(\\s*${CODE}`, 'g'),
  // the last argument of an error constructor (or super), arguments with one level of parentheses
  new RegExp(`(?:\\bnew [A-Za-z]*Error|\\bsuper)\\((?:[^()]|\\([^()]*\\))*?,\\s*${CODE},?\\s*\\)`, 'g'),
];

/** Every error code made in src/, with a file it is made in. */
function codesInSource(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sources(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of PATTERNS) for (const match of text.matchAll(pattern)) codes.set(match[1]!, file.slice(root.length));
  }
  return codes;
}

/** The codes of the README's "Error codes" table. */
function codesInReadme(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('### Error codes');
  if (start === -1) return [];
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
}

test("every error code in src/ is in the README's error-code table, and the table names no other", (t) => {
  const source = codesInSource();
  const readme = codesInReadme();
  // the finder must find what it is meant to (a broken pattern would find nothing and pass)
  for (const code of ['KINESIS_TIMEOUT', 'ITERATOR_EXPIRED', 'FOREIGN_RECORD', 'INVALID_STREAMS', 'CLOSED', 'CHECKPOINT_STALE']) {
    t.true(source.has(code), `${code} found in src/`);
  }
  const missing = [...source.keys()].filter((code) => !readme.includes(code)).map((code) => `${code} (${source.get(code)})`);
  t.deepEqual(missing, [], 'codes used in src/ but missing from the README table');
  t.deepEqual(readme.filter((code) => !source.has(code)), [], 'codes in the README table that src/ does not use');
  t.is(new Set(readme).size, readme.length, 'each code once');
});
