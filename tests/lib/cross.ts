// The cross-built sidecars the emulator tests run (tests/platforms): built by `npm test` through
// scripts/platforms.mjs prepareCrossTests, which records in target/cross-test-status.json what it
// could not prepare and why.
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths';

const TRIPLES: Record<string, string> = {
  'win32-x64': 'x86_64-pc-windows-gnu',
  'linux-arm64': 'aarch64-unknown-linux-musl',
};

export function crossSidecar(target: string): { ok: true; binary: string; reason?: undefined } | { ok: false; reason: string; binary?: undefined } {
  const statusFile = path.join(repoRoot, 'target', 'cross-test-status.json');
  try {
    const status = (JSON.parse(fs.readFileSync(statusFile, 'utf8')) as Record<string, { ok: boolean; reason?: string }>)[target];
    if (status && !status.ok) return { ok: false, reason: `the ${target} sidecar could not be prepared: ${status.reason}` };
  } catch {
    // not prepared by npm test: look for a build anyway
  }
  const binary = path.join(repoRoot, 'target', TRIPLES[target], 'release', target.startsWith('win32') ? 'tack-sidecar.exe' : 'tack-sidecar');
  if (!fs.existsSync(binary)) return { ok: false, reason: `the ${target} sidecar is not built (${binary}); npm test builds it, or: node scripts/platforms.mjs --targets ${target}` };
  return { ok: true, binary };
}
