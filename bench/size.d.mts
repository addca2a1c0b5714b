/** Types for bench/size.mjs (imported by test/sdk-package.test.ts). */
export declare const CASES: {
  'createClient (typical app, the package)': string;
  'whole browser entry (the package)': string;
  'web OpenFeature provider (the package)': string;
  'createClient (typical app, from source)': string;
  'whole browser entry (from source)': string;
};
/** `resolveDir`: the app's folder, where its imports resolve (the repository root by default). */
export declare function measure(contents: string, resolveDir?: string): Promise<{ min: number; gzip: number; code: string }>;
