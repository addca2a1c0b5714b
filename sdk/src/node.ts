/** The Node entry: everything in `switchyard/sdk`, plus the file cache. */
export * from './index.js';
export { fileCache } from './file-cache.js';
