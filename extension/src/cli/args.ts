// The command line's arguments: each subcommand declares one option table and parses it here with
// node:util parseArgs. Errors are UsageErrors in the CLI's words (`unknown option '--x'`, `--model
// needs a value`), which each command prints as `tack <command>: <message>` with its usage, exit 2.
// The model options `tack exec` and `tack mcp-server` share are declared and checked once, here.
import { parseArgs } from 'node:util';
import type { Wire } from '../host/agent';
import { isProviderId, PROVIDER_IDS, type ProviderId } from '../host/model';

/** Bad usage: the message is shown with the command's usage, and the exit code is 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}
export type OptionTable = Record<string, OptionSpec>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandLine {
  values: OptionValues;
  positionals: string[];
}

const HELP: OptionTable = { help: { type: 'boolean', short: 'h' } };

/**
 * Parses `args` against `options` (plus -h/--help). Returns 'help' when help is asked for anywhere;
 * throws a UsageError for an unknown option, a string option without its value, a value given to a
 * flag, or (unless `positionals`) any argument that is not an option. A string option's value is
 * the next argument whatever it looks like (`--model -x` is the model `-x`), or `--name=value`.
 * Arguments after `--` are positionals.
 */
export function parseCommandLine(args: string[], options: OptionTable, { positionals = false } = {}): CommandLine | 'help' {
  const table = { ...options, ...HELP };
  // strict: false keeps parseArgs from rejecting the cases above in its own words; the tokens say
  // exactly what was given, and each problem is reported below in the CLI's.
  const parsed = parseArgs({ args, options: table, strict: false, allowPositionals: true, tokens: true });
  const tokens = parsed.tokens ?? [];
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (!positionals) throw new UsageError(`unexpected argument '${t.value}'`);
      continue;
    }
    if (t.kind !== 'option') continue;
    const spec = Object.hasOwn(table, t.name) ? table[t.name] : undefined;
    if (spec === undefined) throw new UsageError(`unknown option '${t.rawName}'`);
    if (spec.type === 'string' && t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
    if (spec.type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`);
  }
  const values: OptionValues = { ...parsed.values };
  delete values.help;
  return { values, positionals: parsed.positionals };
}

/** A string option's value (the last one given), or undefined. */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.at(-1);
  return typeof v === 'string' ? v : undefined;
}

/** Every value of a repeatable string option, in order. */
export function stringValues(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (Array.isArray(v)) return v;
  return typeof v === 'string' ? [v] : [];
}

export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** The value of `--name` checked against `allowed`, or undefined when not given. */
export function oneOf<T extends string>(values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const v = stringValue(values, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not '${v}'`);
  return v as T;
}

/** The value of `--name` as a whole number of at least `min`, or undefined when not given. */
export function wholeNumber(values: OptionValues, name: string, min: number, message: string): number | undefined {
  const v = stringValue(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(message);
  return n;
}

/** The options that choose and shape the model, shared by `tack exec` and `tack mcp-server`. */
export const MODEL_OPTIONS = {
  provider: { type: 'string' },
  model: { type: 'string' },
  'base-url': { type: 'string' },
  wire: { type: 'string' },
  'api-key-env': { type: 'string' },
  'reasoning-effort': { type: 'string' },
  'context-window': { type: 'string' },
  'max-output-tokens': { type: 'string' },
} as const satisfies OptionTable;

export interface ModelOptions {
  provider?: ProviderId;
  model?: string;
  baseUrl?: string;
  wire?: Wire;
  apiKeyEnv?: string;
  reasoningEffort?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
}

/** The model options given, checked. */
export function modelOptions(values: OptionValues): ModelOptions {
  const o: ModelOptions = {};
  const provider = stringValue(values, 'provider');
  if (provider !== undefined) {
    if (!isProviderId(provider)) throw new UsageError(`--provider must be one of ${PROVIDER_IDS.join(', ')}, not '${provider}'`);
    o.provider = provider;
  }
  const wire = stringValue(values, 'wire');
  if (wire !== undefined) {
    if (wire !== 'responses' && wire !== 'chat') throw new UsageError(`--wire must be responses or chat, not '${wire}'`);
    o.wire = wire;
  }
  const set = <K extends keyof ModelOptions>(key: K, value: ModelOptions[K] | undefined) => {
    if (value !== undefined) o[key] = value;
  };
  set('model', stringValue(values, 'model'));
  set('baseUrl', stringValue(values, 'base-url'));
  set('apiKeyEnv', stringValue(values, 'api-key-env'));
  set('reasoningEffort', stringValue(values, 'reasoning-effort'));
  set('contextWindow', wholeNumber(values, 'context-window', 1, '--context-window must be a positive whole number of tokens'));
  set('maxOutputTokens', wholeNumber(values, 'max-output-tokens', 0, '--max-output-tokens must be a whole number of tokens (0: no cap)'));
  return o;
}
