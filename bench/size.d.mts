/** Types for bench/size.mjs (imported by test/sdk-package.test.ts). */
export declare const CASES: {
  'createClient (browser app, client key)': string;
  'createClient from /local (server key, local evaluation)': string;
  'createOfrepClient (client key)': string;
  'whole browser entry': string;
  'whole /local entry': string;
  'web OpenFeature provider': string;
  'createClient from @switchyard-flags/sdk (dist)': string;
  'createClient from @switchyard-flags/sdk/local (dist)': string;
};
/** One output file: its name, minified bytes and gzip -9 bytes. */
export interface Chunk {
  file: string;
  min: number;
  gzip: number;
}
/** `min`/`gzip`/`code`: the chunks a browser downloads at start, summed; `lazy`: the chunks fetched only by `import()`. */
export declare function measure(contents: string, options?: { dist?: boolean }): Promise<{ min: number; gzip: number; code: string; chunks: Chunk[]; lazy: Chunk[] }>;
