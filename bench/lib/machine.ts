// The machine and the versions, for the report's header.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const capture = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};

export function machineInfo(): Record<string, string> {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const mhz = cpuinfo.match(/^cpu MHz\s*:\s*(.+)$/m)?.[1];
  const osRelease = fs.existsSync('/etc/os-release')
    ? fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?$/m)?.[1]
    : undefined;
  return {
    CPU: `${model}${mhz ? ` (${Math.round(Number(mhz))} MHz)` : ''}`,
    'logical cores': String(os.cpus().length),
    RAM: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    OS: osRelease ?? 'unknown',
    'load average at start': os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

export function versions(codexBin: string | null): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(`${__dirname}/../../extension/package.json`, 'utf8')) as { version: string };
  const commit = capture('git', ['-C', `${__dirname}/../..`, 'rev-parse', '--short', 'HEAD']);
  const diffPkg = `${__dirname}/../../node_modules/diff/package.json`;
  return {
    Tack: `${pkg.version} (commit ${commit ?? 'unknown'})`,
    'Codex CLI': codexBin ? (capture(codexBin, ['--version']) ?? 'not runnable') : 'not installed',
    'npm diff': fs.existsSync(diffPkg) ? (JSON.parse(fs.readFileSync(diffPkg, 'utf8')) as { version: string }).version : 'absent',
    Node: process.version,
    rustc: capture('rustc', ['--version']) ?? 'unknown',
    Python: capture('python3', ['--version']) ?? 'unknown',
  };
}
