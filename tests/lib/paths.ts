// Where the built artifacts are, for every cross-component test.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentHost, locateSidecar, sidecarFileName, targetOf } from '../../extension/src/host/sidecar/platform';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const extensionDir = path.join(repoRoot, 'extension');
export const distDir = path.join(extensionDir, 'dist');
/** The host's own sidecar, as the build puts it (dist/bin/<target>/, see extension/src/host/sidecar/platform.ts). */
export const sidecarBin = process.env.TACK_SIDECAR ?? hostSidecar();

function hostSidecar(): string {
  const found = locateSidecar([path.join(distDir, 'bin')]);
  if ('path' in found) return found.path;
  const target = targetOf(currentHost());
  return path.join(distDir, 'bin', target, sidecarFileName(target));
}
export const tackCli = path.join(extensionDir, 'bin', 'tack.js');
/** The shared conformance material: present in CI and on the developers' machines, not on a user's clone. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');

/** The package `npm run build` makes for this machine (`vsce package --target`'s default name). */
export const hostVsix = path.join(
  extensionDir,
  `tack-${targetOf(currentHost())}-${(JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')) as { version: string }).version}.vsix`,
);
