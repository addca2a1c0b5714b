import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Collections whose contents are mutable whatever binds them. */
const MUTABLE_CLASSES = /^(Map|Set|WeakMap|WeakSet|Array|Uint8Array|Int32Array|Float64Array)$/;

/**
 * The module-level mutable state of one source file, as `file:line what`: a top-level `let` or
 * `var` (exported or not), a top-level `const` holding a new Map/Set/array, and a class's
 * static field that is not `readonly` (one per module, like a `let`).
 */
function moduleState(file: string, text: string): string[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (n: ts.Node, what: string) => found.push(`${file}:${src.getLineAndCharacterOfPosition(n.getStart(src)).line + 1} ${what}`);
  for (const stmt of src.statements) {
    if (ts.isVariableStatement(stmt)) {
      const flags = stmt.declarationList.flags;
      const isConst = (flags & ts.NodeFlags.Const) !== 0;
      const exported = stmt.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false;
      for (const d of stmt.declarationList.declarations) {
        const name = d.name.getText(src);
        if (!isConst) at(d, `${exported ? 'export ' : ''}${flags & ts.NodeFlags.Let ? 'let' : 'var'} ${name}`);
        else if (d.initializer && ts.isNewExpression(d.initializer) && MUTABLE_CLASSES.test(d.initializer.expression.getText(src))) at(d, `const ${name} = new ${d.initializer.expression.getText(src)}`);
      }
    } else if (ts.isClassDeclaration(stmt)) {
      for (const m of stmt.members) {
        const mods = ts.canHaveModifiers(m) ? (ts.getModifiers(m) ?? []) : [];
        const isStatic = mods.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = mods.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (ts.isPropertyDeclaration(m) && isStatic && !isReadonly) at(m, `static ${m.name.getText(src)}`);
      }
    }
  }
  return found;
}

describe('module-level state in sdk/src', () => {
  it('no source file of the SDK holds module-level mutable state: evaluation and the client keep theirs in objects', () => {
    const files = fs.readdirSync(SRC).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((f) => moduleState(f, fs.readFileSync(path.join(SRC, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('the scan finds a top-level let, var, export let, a const Map and a static field, and accepts constants', () => {
    const text = [
      'let a = 0;',
      'var b;',
      'export let c: number;',
      'const d = new Map<string, number>();',
      'export const E = 10000;',
      'const enum Step { IN }',
      'class K { static n = 0; static readonly M = 1; x = 0; }',
      'function f() { let inside = 1; return inside; }',
    ].join('\n');
    expect(moduleState('x.ts', text)).toEqual(['x.ts:1 let a', 'x.ts:2 var b', 'x.ts:3 export let c', 'x.ts:4 const d = new Map', 'x.ts:7 static n']);
  });
});
