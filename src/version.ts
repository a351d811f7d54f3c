// Kept in sync with package.json by test/version.test.ts; never read at run time from disk, for startup speed.
export const VERSION = '0.1.0';
