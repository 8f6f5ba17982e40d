// Whether a model takes images, as far as its name tells: the families known to take images, the
// ones known not to, and undefined for the rest (treated as taking them unless the server or the
// person says otherwise). The server's own word (fetchModelLimits' `vision`) and the person's
// setting (`tack.modelVision`, `--vision`) come first.

/** Names (after any `provider/` prefix, lower case) of models that do not take images. */
const TEXT_ONLY: RegExp[] = [
  /^gpt-3\.5/,
  /^o1-mini/,
  /^o3-mini/,
  /^codex-mini/,
  /^gpt-oss/,
  /^deepseek-(r1|coder|chat|v[23])/,
  /^qwen[0-9.]*-?coder/,
  /^qwen[0-9.]*(?!.*vl)/,
  /^codestral/,
  /^mistral-(7b|small-3\.0|nemo)/,
  /^llama-?3(\.[0-3])?(?!.*vision)/,
  /^gemma-?3-?(270m|1b)/,
  /^gemma3:(270m|1b)/,
  /^phi-?[34](?!.*vision)/,
];

/** Names of models known to take images. */
const VISION: RegExp[] = [
  /^gpt-4o/,
  /^gpt-4\.1/,
  /^gpt-4-turbo/,
  /^gpt-5/,
  /^o[134](?!-mini)/,
  /^o4-mini/,
  /^claude/,
  /^gemini/,
  /^gemma-?3/,
  /^llava/,
  /^bakllava/,
  /^pixtral/,
  /vision/,
  /-vl\b|vl-|^qwen.*vl/,
  /^llama-?4/,
  /^mistral-(small-3\.[12]|medium)/,
];

/** True or false when the model's name says; undefined when it does not. */
export function visionFromName(model: string): boolean | undefined {
  const name = model.toLowerCase().split('/').pop() ?? '';
  // Text-only first: a small text-only size of a vision family (Gemma 3 270M) is text-only.
  if (TEXT_ONLY.some((r) => r.test(name))) return false;
  if (VISION.some((r) => r.test(name))) return true;
  return undefined;
}

/**
 * Whether to send this model images: the person's setting, else what the server said, else the
 * name, else yes.
 */
export function resolveVision(model: string, setting: boolean | undefined, server: boolean | undefined): boolean {
  return setting ?? server ?? visionFromName(model) ?? true;
}
