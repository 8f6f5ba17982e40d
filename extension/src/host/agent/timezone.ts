// The machine's time zone name for the model's environment context, without ICU: the first
// `Intl.DateTimeFormat()` in a process loads ICU's zone data and costs 10-25 ms, the largest single
// item in `tack exec`'s start-up. On Linux and macOS the zone is what TZ names, else where
// /etc/localtime points (.../zoneinfo/Europe/Paris), which is also where ICU and Codex look. Anything
// unusual (a POSIX TZ rule, a copied /etc/localtime, Windows) asks Intl as before.
import fs from 'node:fs';

/** A zone name as the tz database spells them: "UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5". */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;

function fromIntl(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

export function systemTimeZone(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, readLink: (p: string) => string = fs.readlinkSync): string {
  if (platform === 'win32') return fromIntl();
  const tz = env.TZ;
  if (tz !== undefined) {
    // glibc reads TZ=":Europe/Paris" as the file Europe/Paris; an empty TZ means UTC.
    const name = tz.startsWith(':') ? tz.slice(1) : tz;
    if (name === '') return 'UTC';
    return ZONE_NAME.test(name) && !/^[A-Z]{3,}[+-]?\d/.test(name) ? name : fromIntl();
  }
  try {
    const target = readLink('/etc/localtime');
    const at = target.lastIndexOf('zoneinfo/');
    const name = at >= 0 ? target.slice(at + 'zoneinfo/'.length).replace(/^(?:posix|right)\//, '') : '';
    if (ZONE_NAME.test(name)) return name;
  } catch {
    // not a symlink (a copied file) or missing: ICU knows other ways
  }
  return fromIntl();
}
