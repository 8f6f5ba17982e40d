// The CLI's argument parsing (node:util parseArgs behind one option table per command): what is
// accepted, and the message for each kind of bad usage. The commands end to end are
// tests/agent/cli-args.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MODEL_OPTIONS, modelOptions, parseCommandLine, stringValue, stringValues, UsageError, type OptionTable } from './args';

const TABLE = {
  json: { type: 'boolean' },
  cd: { type: 'string', short: 'C' },
  'mcp-config': { type: 'string', multiple: true },
  yes: { type: 'boolean', short: 'y' },
} as const satisfies OptionTable;

function usageError(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => e instanceof UsageError && e.message === message, `expected the UsageError "${message}"`);
}

test('flags, values (separate or with =), short forms, repeats and positionals', () => {
  const line = parseCommandLine(['--json', '-C', 'dir', 'fix', '--mcp-config=a.json', 'the', '--mcp-config', 'b.json', '-y', 'bug'], TABLE, { positionals: true });
  assert.notEqual(line, 'help');
  if (line === 'help') return;
  assert.equal(line.values.json, true);
  assert.equal(line.values.yes, true);
  assert.equal(stringValue(line.values, 'cd'), 'dir');
  assert.deepEqual(stringValues(line.values, 'mcp-config'), ['a.json', 'b.json']);
  assert.deepEqual(line.positionals, ['fix', 'the', 'bug']);
  assert.equal('help' in line.values, false);
});

test('a value is the next argument whatever it looks like; the last of a repeated option wins', () => {
  const line = parseCommandLine(['-C', '-odd', '--cd', 'second', '--', '--not-an-option'], TABLE, { positionals: true });
  assert.ok(line !== 'help');
  assert.equal(stringValue(line.values, 'cd'), 'second');
  assert.deepEqual(line.positionals, ['--not-an-option']);
  const dashValue = parseCommandLine(['-C', '-odd'], TABLE);
  assert.ok(dashValue !== 'help');
  assert.equal(stringValue(dashValue.values, 'cd'), '-odd');
});

test('-h or --help anywhere asks for help', () => {
  assert.equal(parseCommandLine(['--json', '-h'], TABLE), 'help');
  assert.equal(parseCommandLine(['--help', '--bogus'], TABLE), 'help');
  assert.equal(parseCommandLine(['-yh'], TABLE), 'help');
});

test('bad usage is named in the CLI words', () => {
  usageError(() => parseCommandLine(['--bogus'], TABLE), "unknown option '--bogus'");
  usageError(() => parseCommandLine(['-x'], TABLE), "unknown option '-x'");
  usageError(() => parseCommandLine(['--json', '--approval-policy=never'], TABLE), "unknown option '--approval-policy'");
  usageError(() => parseCommandLine(['-C'], TABLE), '-C needs a value');
  usageError(() => parseCommandLine(['--json', '--cd'], TABLE), '--cd needs a value');
  usageError(() => parseCommandLine(['--json=yes'], TABLE), '--json takes no value');
  usageError(() => parseCommandLine(['stray'], TABLE), "unexpected argument 'stray'");
  usageError(() => parseCommandLine(['--', 'stray'], TABLE), "unexpected argument 'stray'");
  // Names of Object.prototype are not options.
  usageError(() => parseCommandLine(['--constructor'], TABLE), "unknown option '--constructor'");
  usageError(() => parseCommandLine(['--toString=x'], TABLE), "unknown option '--toString'");
});

test('the shared model options are checked with the messages tack exec always gave', () => {
  const parse = (...args: string[]) => {
    const line = parseCommandLine(args, MODEL_OPTIONS);
    assert.ok(line !== 'help');
    return modelOptions(line.values);
  };
  assert.deepEqual(
    parse('--provider', 'ollama', '--model', 'm', '--base-url', 'http://h/v1', '--wire', 'chat', '--api-key-env', 'K', '--reasoning-effort', 'low', '--context-window', '8000', '--max-output-tokens', '0'),
    { provider: 'ollama', model: 'm', baseUrl: 'http://h/v1', wire: 'chat', apiKeyEnv: 'K', reasoningEffort: 'low', contextWindow: 8000, maxOutputTokens: 0 },
  );
  assert.deepEqual(parse(), {});
  usageError(() => parse('--provider', 'acme'), "--provider must be one of openai, azure, openrouter, ollama, lmstudio, vllm, llamacpp, custom, not 'acme'");
  usageError(() => parse('--wire', 'soap'), "--wire must be responses or chat, not 'soap'");
  usageError(() => parse('--context-window', '0'), '--context-window must be a positive whole number of tokens');
  usageError(() => parse('--context-window', '1.5'), '--context-window must be a positive whole number of tokens');
  usageError(() => parse('--max-output-tokens', '-1'), '--max-output-tokens must be a whole number of tokens (0: no cap)');
  usageError(() => parse('--max-output-tokens', 'lots'), '--max-output-tokens must be a whole number of tokens (0: no cap)');
  usageError(() => parse('--sandbox', 'read-only'), "unknown option '--sandbox'");
});
