/** Node entry: everything of the browser-safe entry plus the file-backed lastSeq store. */
export * from './index.ts';
export { FileSeqStore } from './file-seq-store.ts';
