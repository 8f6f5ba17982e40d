import assert from 'node:assert/strict';
import { test } from 'node:test';
import { systemTimeZone } from './timezone';

const noLink = (): string => {
  throw Object.assign(new Error('EINVAL'), { code: 'EINVAL' });
};
const intl = Intl.DateTimeFormat().resolvedOptions().timeZone;

test('TZ names the zone when it is a zone name', () => {
  assert.equal(systemTimeZone({ TZ: 'Europe/Paris' }, 'linux', noLink), 'Europe/Paris');
  assert.equal(systemTimeZone({ TZ: ':America/Argentina/Buenos_Aires' }, 'linux', noLink), 'America/Argentina/Buenos_Aires');
  assert.equal(systemTimeZone({ TZ: '' }, 'linux', noLink), 'UTC');
});

test('a POSIX TZ rule or anything odd in TZ is left to Intl', () => {
  assert.equal(systemTimeZone({ TZ: 'EST5EDT,M3.2.0,M11.1.0' }, 'linux', noLink), intl);
  assert.equal(systemTimeZone({ TZ: 'CET-1' }, 'linux', noLink), intl);
  assert.equal(systemTimeZone({ TZ: '../../etc/passwd' }, 'linux', noLink), intl);
});

test('without TZ, /etc/localtime names the zone', () => {
  assert.equal(systemTimeZone({}, 'linux', () => '/usr/share/zoneinfo/Asia/Tokyo'), 'Asia/Tokyo');
  assert.equal(systemTimeZone({}, 'linux', () => '../usr/share/zoneinfo/Etc/UTC'), 'Etc/UTC');
  assert.equal(systemTimeZone({}, 'darwin', () => '/var/db/timezone/zoneinfo/Europe/Berlin'), 'Europe/Berlin');
  assert.equal(systemTimeZone({}, 'linux', () => '/usr/share/zoneinfo/posix/Europe/Oslo'), 'Europe/Oslo');
});

test('a copied /etc/localtime, a strange link or Windows falls back to Intl', () => {
  assert.equal(systemTimeZone({}, 'linux', noLink), intl);
  assert.equal(systemTimeZone({}, 'linux', () => '/opt/tz/localtime'), intl);
  assert.equal(systemTimeZone({}, 'win32', () => '/usr/share/zoneinfo/Asia/Tokyo'), intl);
});

test('on this machine it agrees with Intl about the zone (up to aliases such as Etc/UTC)', () => {
  const ours = systemTimeZone();
  const canon = (z: string) => new Intl.DateTimeFormat('en', { timeZone: z }).resolvedOptions().timeZone;
  assert.equal(canon(ours), canon(intl));
});
