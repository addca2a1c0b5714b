import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Every admin UI component has one shape (docs/architecture.md): components/<name>/<name>.ts with
// its styles in <name>.styles.ts, a typed HTMLElementTagNameMap entry, and an @fires per event.
const root = path.resolve('admin-ui/src/components');
const components = fs
  .readdirSync(root)
  .filter((d) => d.startsWith('sy-'))
  .map((name) => ({ name, file: path.join(root, name, `${name}.ts`) }));
const source = (file: string) => fs.readFileSync(file, 'utf8');

describe('admin UI components', () => {
  it('each folder holds the component of its name, defined under that tag and typed in HTMLElementTagNameMap', () => {
    expect(components.length).toBeGreaterThan(15);
    for (const { name, file } of components) {
      const s = source(file);
      expect(s, name).toContain(`customElements.define('${name}', `);
      expect(s, name).toMatch(new RegExp(`interface HTMLElementTagNameMap \\{[^}]*'${name}': \\w+;`));
    }
  });

  it('a component with styles keeps them in <name>.styles.ts, not inline', () => {
    for (const { name, file } of components) {
      const s = source(file);
      expect(s, name).not.toContain('css`');
      if (/static override styles/.test(s) && !/static override styles = \[?shared\]?;/.test(s)) {
        expect(fs.existsSync(path.join(root, name, `${name}.styles.ts`)), name).toBe(true);
        expect(s, name).toContain(`from './${name}.styles.js'`);
      }
    }
  });

  it('every custom event a component emits is documented with @fires', () => {
    let emitted = 0;
    for (const { name, file } of components) {
      const s = source(file);
      for (const [, event] of s.matchAll(/\bemit(?:<[^>]+>)?\('([a-z-]+)'/g)) {
        emitted++;
        expect(s, `${name} emits ${event}`).toContain(`@fires ${event} `);
      }
    }
    expect(emitted).toBeGreaterThan(5);
  });

  it('the action specs live beside the action dialog, not at the top of admin-ui/src', () => {
    for (const f of ['actions.ts', 'bulk-actions.ts', 'undo-kill.ts', 'bulk-result.ts']) {
      expect(fs.existsSync(path.resolve('admin-ui/src', f)), f).toBe(false);
    }
    for (const f of ['action-spec.ts', 'flag-actions.ts', 'bulk-actions.ts', 'undo-kill.ts']) {
      expect(fs.existsSync(path.join(root, 'sy-action-dialog', f)), f).toBe(true);
    }
  });
});
