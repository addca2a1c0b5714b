/** Types for bench/size.mjs (imported by test/sdk-package.test.ts). */
export declare const CASES: {
  'createClient (typical app)': string;
  'whole browser entry': string;
  'web OpenFeature provider': string;
};
export declare function measure(contents: string): Promise<{ min: number; gzip: number; code: string }>;
