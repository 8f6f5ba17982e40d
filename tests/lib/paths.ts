// Where the built artifacts are, for every cross-component test.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const extensionDir = path.join(repoRoot, 'extension');
export const distDir = path.join(extensionDir, 'dist');
export const sidecarBin = process.env.TACK_SIDECAR ?? path.join(distDir, 'bin', 'tack-sidecar');
export const tackCli = path.join(extensionDir, 'bin', 'tack.js');
/** The shared conformance material: present in CI and on the developers' machines, not on a user's clone. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
