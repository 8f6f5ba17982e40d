// Which sidecar binary belongs to the platform the host runs on. Each .vsix carries one sidecar under
// dist/bin/<target>/ (targets named as VS Code's marketplace names them, `vsce package --target`); the
// source tree's build puts the host's own there. No I/O beyond existence checks.
import fs from 'node:fs';
import path from 'node:path';

/** The marketplace targets Tack builds a sidecar for (scripts/platforms.mjs builds them). */
export const SIDECAR_TARGETS = ['linux-x64', 'linux-arm64', 'alpine-x64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'] as const;

export interface HostPlatform {
  platform: NodeJS.Platform;
  arch: string;
  /** musl-based Linux (Alpine): VS Code calls these targets alpine-*. */
  alpine: boolean;
}

export function currentHost(): HostPlatform {
  let alpine = false;
  if (process.platform === 'linux') {
    try {
      alpine = fs.existsSync('/etc/alpine-release');
    } catch {
      alpine = false;
    }
  }
  return { platform: process.platform, arch: process.arch, alpine };
}

/** The marketplace target name of a host, e.g. `linux-x64`, `win32-arm64`, `alpine-x64`. */
export function targetOf(host: HostPlatform): string {
  const os = host.platform === 'linux' && host.alpine ? 'alpine' : host.platform;
  return `${os}-${host.arch}`;
}

export function sidecarFileName(target: string): string {
  return target.startsWith('win32-') ? 'tack-sidecar.exe' : 'tack-sidecar';
}

/**
 * The targets whose sidecar runs on `target`, best first: the exact one, then one the system runs
 * anyway (the static musl Linux binaries run on glibc and musl systems alike; Windows on Arm and
 * macOS on Apple silicon run x64 programs through emulation).
 */
export function compatibleTargets(target: string): string[] {
  const also: Record<string, string[]> = {
    'linux-x64': ['alpine-x64'],
    'alpine-x64': ['linux-x64'],
    'linux-arm64': ['alpine-arm64'],
    'alpine-arm64': ['linux-arm64'],
    'win32-arm64': ['win32-x64'],
    'darwin-arm64': ['darwin-x64'],
  };
  return [target, ...(also[target] ?? [])];
}

export type SidecarLocation = { path: string; target: string } | { problem: string };

/**
 * Finds the sidecar for `host` in the first of `binDirs` that has one. When none fits, `problem` is a
 * message for the person: the platform, what this copy of Tack carries, and what to install.
 */
export function locateSidecar(binDirs: string[], host: HostPlatform = currentHost()): SidecarLocation {
  const target = targetOf(host);
  for (const dir of binDirs) {
    for (const t of compatibleTargets(target)) {
      const p = path.join(dir, t, sidecarFileName(t));
      if (fs.existsSync(p)) return { path: p, target: t };
    }
  }
  const carried = new Set<string>();
  for (const dir of binDirs) {
    try {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) carried.add(e.name);
    } catch {
      // no such directory: nothing carried there
    }
  }
  const has = carried.size ? `this copy of Tack carries the runner for ${[...carried].sort().join(', ')} only` : 'this copy of Tack carries no runner at all';
  const supported = (SIDECAR_TARGETS as readonly string[]).includes(target) || compatibleTargets(target).some((t) => (SIDECAR_TARGETS as readonly string[]).includes(t));
  const what = supported
    ? `Install the Tack package built for ${target} (the Marketplace picks it for you; from a file: tack-${target}-<version>.vsix, which \`npm run package\` builds), or set TACK_SIDECAR to a tack-sidecar built for this machine.`
    : `Tack does not build a runner for ${target} yet (it supports ${SIDECAR_TARGETS.join(', ')}); set TACK_SIDECAR to a tack-sidecar you built for this machine (cargo build --release -p tack-sidecar).`;
  return {
    problem: `Tack cannot run commands on this platform, ${target} (${host.platform} on ${host.arch}): ${has}. ${what}`,
  };
}
