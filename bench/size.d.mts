/** Types for bench/size.mjs (imported by test/sdk-package.test.ts). */
export declare const CASES: {
  'createClient (typical app)': string;
  'createOfrepClient (client key)': string;
  'whole browser entry': string;
  'web OpenFeature provider': string;
};
/** One output file: its name, minified bytes and gzip -9 bytes. */
export interface Chunk {
  file: string;
  min: number;
  gzip: number;
}
/** `min`/`gzip`/`code`: the chunks a browser downloads at start, summed; `lazy`: the chunks fetched only by `import()`. */
export declare function measure(contents: string): Promise<{ min: number; gzip: number; code: string; chunks: Chunk[]; lazy: Chunk[] }>;
