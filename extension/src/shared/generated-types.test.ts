// A type that crosses a boundary (wasm, the sidecar, the session file, the webview) is defined once,
// in Rust, and generated into src/generated/types by ts-rs. This test fails when TypeScript declares
// one of those names again by hand (a type, interface, enum, class or const of the same name), or one
// of the names that used to be hand-written copies of a generated type.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const src = path.resolve(__dirname, '..');
const generatedTypes = path.join(src, 'generated', 'types');

/** Former hand-written copies whose generated type has another name. */
const RETIRED = ['WireApi', 'EngineFileDiff', 'ExecParams'];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== path.join(src, 'generated')) sourceFiles(p, out);
    } else if (e.name.endsWith('.ts')) {
      out.push(p);
    }
  }
  return out;
}

/** Every name a file declares (at any depth): types, interfaces, enums, classes, variables. */
export function declaredNames(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isEnumDeclaration(node) || ts.isClassDeclaration(node)) &&
      node.name
    ) {
      names.push(node.name.text);
    } else if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) {
      names.push(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return names;
}

test('the guard sees every kind of declaration, and not re-exports or imports', () => {
  const names = declaredNames(
    'x.ts',
    [
      "import type { HunkState } from './generated/types/HunkState';",
      "export type { FileMap } from './generated/types/FileMap';",
      "export type SandboxMode = 'read-only';",
      'interface FileDiff { a: number }',
      'export enum SidecarErrorCode { A = 1 }',
      'export const Wire = {};',
      'function f() { type Usage = number; return 0 as Usage; }',
    ].join('\n'),
  );
  assert.deepEqual(names.sort(), ['FileDiff', 'SandboxMode', 'SidecarErrorCode', 'Usage', 'Wire']);
});

test('no hand-written TypeScript declares a generated type (or a retired copy of one)', () => {
  const generated = fs.readdirSync(generatedTypes).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
  // The names the brief calls out must be generated (the build has run, and they are not dropped).
  for (const name of ['Wire', 'ApprovalPolicy', 'SandboxMode', 'FileMap', 'HunkState', 'FileDiff', 'SidecarErrorCode', 'ReasoningEffort', 'Severity', 'ExecStartParams']) {
    assert.ok(generated.includes(name), `${name} is not generated into src/generated/types`);
  }
  const banned = new Set([...generated, ...RETIRED]);
  const offences: string[] = [];
  for (const file of sourceFiles(src)) {
    for (const name of declaredNames(file, fs.readFileSync(file, 'utf8'))) {
      if (banned.has(name)) offences.push(`${path.relative(src, file)} declares ${name}`);
    }
  }
  assert.deepEqual(offences, [], 'import the generated type instead');
});
