// Deterministic inputs: source-like files, edited copies and apply_patch patches. The same seed
// gives the same bytes on every run, so the engines and their peers see identical work.

/** mulberry32: a small seeded PRNG; quality is ample for choosing lines to change. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['value', 'count', 'index', 'buffer', 'result', 'options', 'config', 'state', 'items', 'offset', 'length', 'handler', 'request', 'response', 'error', 'token'];

/** One plausible line of TypeScript-ish code; unique because it carries its number. */
function codeLine(i: number, r: () => number): string {
  const w = () => WORDS[Math.floor(r() * WORDS.length)];
  const indent = '  '.repeat(Math.floor(r() * 4));
  switch (Math.floor(r() * 5)) {
    case 0:
      return `${indent}const ${w()}${i} = ${w()}.${w()}(${Math.floor(r() * 1000)});`;
    case 1:
      return `${indent}if (${w()}${i} > ${w()}.length) { return ${w()}; }`;
    case 2:
      return `${indent}// ${w()} ${w()} ${w()} (${i})`;
    case 3:
      return `${indent}${w()}${i}.push({ ${w()}: ${w()}, ${w()}: ${Math.floor(r() * 100)} });`;
    default:
      return `${indent}function ${w()}_${i}(${w()}: number): string { return String(${w()}); }`;
  }
}

export function makeLines(n: number, seed: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => codeLine(i, r));
}

/** Picks `k` distinct line indexes, at least `gap` apart, sorted. */
export function pickLines(n: number, k: number, seed: number, gap = 1): number[] {
  const r = rng(seed);
  const chosen = new Set<number>();
  const sorted = () => [...chosen].sort((a, b) => a - b);
  let guard = 0;
  while (chosen.size < k && guard++ < k * 1000) {
    const i = Math.floor(r() * n);
    if (sorted().some((j) => Math.abs(j - i) < gap)) continue;
    chosen.add(i);
  }
  if (chosen.size < k) throw new Error(`cannot pick ${k} lines ${gap} apart in ${n}`);
  return sorted();
}

export interface DiffCase {
  lines: number;
  original: string;
  proposed: string;
  changed: number;
}

/** A file of `n` lines and a copy with 1% of its lines rewritten (a few also inserted or deleted). */
export function diffCase(n: number): DiffCase {
  const lines = makeLines(n, n);
  const changedIdx = pickLines(n, Math.max(1, Math.round(n / 100)), n + 1);
  const r = rng(n + 2);
  const out = [...lines];
  // Walk backwards so splices do not shift the indexes still to visit.
  for (const i of [...changedIdx].reverse()) {
    const roll = r();
    if (roll < 0.7) out[i] = `${out[i]} // edited`;
    else if (roll < 0.85) out.splice(i, 0, `  const inserted${i} = ${Math.floor(r() * 100)};`);
    else out.splice(i, 1);
  }
  return { lines: n, original: lines.join('\n') + '\n', proposed: out.join('\n') + '\n', changed: changedIdx.length };
}

export interface PatchCase {
  path: string;
  original: string;
  patch: string;
  expected: string;
  hunks: number;
}

/** An apply_patch patch with `hunks` change blocks (3 lines of context each side) on an `n`-line file. */
export function patchCase(n: number, hunks: number): PatchCase {
  const lines = makeLines(n, 7 * n + hunks);
  const at = pickLines(n - 8, hunks, n + hunks, 8).map((i) => i + 4);
  const expected = [...lines];
  const body: string[] = ['*** Begin Patch', '*** Update File: src/big.ts'];
  for (const i of at) {
    body.push('@@');
    for (let c = i - 3; c < i; c++) body.push(` ${lines[c]}`);
    body.push(`-${lines[i]}`);
    const replacement = `${lines[i]} /* patched */`;
    body.push(`+${replacement}`);
    expected[i] = replacement;
    for (let c = i + 1; c <= i + 3; c++) body.push(` ${lines[c]}`);
  }
  body.push('*** End Patch');
  return {
    path: 'src/big.ts',
    original: lines.join('\n') + '\n',
    patch: body.join('\n') + '\n',
    expected: expected.join('\n') + '\n',
    hunks,
  };
}
