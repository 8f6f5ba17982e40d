// Types for scripts/wasm-imports.mjs (used by tests/wasm-imports.test.ts).
export declare const GLUE_MODULE: string;
export declare const ALLOWED_BINDINGS: Set<string>;
export declare function foreignImports(bytes: Uint8Array): string[];
export declare function checkWasmImports(file: string): void;
