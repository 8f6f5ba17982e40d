// Types for scripts/wasm-size-rules.mjs (used by tests/wasm-size-rules.test.ts).
export declare const RULES: { pattern: RegExp; why: string }[];
export declare function functionNames(bytes: Uint8Array): string[];
export declare function plainName(name: string): string;
export declare function sizeRuleBreaches(bytes: Uint8Array): string[];
export declare function checkWasmSizeRules(file: string): void;
