import { z } from 'zod';

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';
const anonymous = (id: string) => /^__schema\d+$/.test(id);

/** A local definition as text, its references to itself made neutral: two copies of one recursive schema read the same. */
const canonical = (def: unknown, id: string) => JSON.stringify(def).split(`"#/$defs/${id}"`).join('"#self"');

/** zod's recursive JSON value (`z.json()`), as its anonymous local definition reads. */
const JSON_VALUE = (() => {
  const js = z.toJSONSchema(z.object({ value: z.json() }), { io: 'output' }) as Json;
  const [[id, def]] = Object.entries((js.$defs ?? {}) as Json) as [[string, unknown]];
  return canonical(def, id);
})();

/**
 * The components of one document being built: the shared schemas, and zod's anonymous local
 * definitions (recursive schemas) by content, so a schema that recurs in many operations (the JSON
 * value above all) is one component, referred to by every operation, and never inlined.
 */
export class SchemaComponents {
  readonly schemas: Json = {};
  private readonly byContent = new Map<string, string>([[JSON_VALUE, 'JsonValue']]);

  /**
   * The zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect): the input side for what a
   * caller sends (defaults optional), the output side for answers. Schemas given an id
   * (`.meta({ id: 'FlagView' })`) and recursive definitions become components, referred to by `$ref`.
   */
  add(schema: z.ZodType, prefix: string, io: 'input' | 'output' = 'input'): Json {
    const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
    const local = (js.$defs ?? {}) as Json;
    delete js.$schema;
    delete js.$defs;
    const id = z.globalRegistry.get(schema)?.id;
    const names = new Map<string, string>();
    for (const [id, def] of Object.entries(local)) {
      if (!anonymous(id)) {
        names.set(id, id);
        continue;
      }
      const text = canonical(def, id);
      const name = this.byContent.get(text) ?? `${prefix}_${id}`;
      this.byContent.set(text, name);
      names.set(id, name);
    }
    const ref = (x: string) => {
      if (x !== '#') return x.replace(/^#\/\$defs\/(.+)$/, (_, def: string) => COMPONENTS + (names.get(def) ?? def));
      if (id === undefined) throw new Error(`openapi: ${prefix} refers to itself: give it an id (.meta({ id }))`);
      return COMPONENTS + id;
    };
    const rewrite = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === '$ref' && typeof x === 'string' ? ref(x) : rewrite(x)]));
    };
    for (const [id, def] of Object.entries(local)) {
      const name = names.get(id)!;
      const body = rewrite(def) as Json;
      if (body.$ref === COMPONENTS + name) continue; // an id given to a recursive schema: the definition is already under that name
      this.schemas[name] ??= body;
    }
    const root = rewrite(js) as Json;
    if (id === undefined) return root;
    if (root.$ref === undefined) this.schemas[id] ??= root;
    return { $ref: COMPONENTS + id };
  }

  /**
   * A response's description, generated from its schema (so it cannot drift from it): the
   * component's name, or the object's fields (`{key, stateVersion, medianMs?}`), or the alternatives.
   */
  describe(schema: Json): string {
    const ref = schema.$ref;
    if (typeof ref === 'string') return `\`${ref.slice(COMPONENTS.length)}\``;
    const alternatives = (schema.anyOf ?? schema.oneOf ?? schema.allOf) as Json[] | undefined;
    if (alternatives) return alternatives.map((s) => this.describe(s)).join(schema.allOf ? ' & ' : ' | ');
    if (schema.type === 'array') return `${this.describe((schema.items ?? {}) as Json)}[]`;
    if (schema.type === 'object' && schema.properties) {
      const required = new Set((schema.required ?? []) as string[]);
      return `\`{${Object.keys(schema.properties as Json).map((k) => (required.has(k) ? k : `${k}?`)).join(', ')}}\``;
    }
    return typeof schema.type === 'string' ? schema.type : 'JSON';
  }
}
