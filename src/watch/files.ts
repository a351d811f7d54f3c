// The file watcher: chokidar (inotify on Linux, FSEvents on macOS), loaded only by `watch`. Events are reduced
// to "this path exists now" (upsert) or "it is gone" (delete); symbolic links are reported, not followed.
import type { Change } from './batch.js';

export interface FileWatcher {
  close(): Promise<void>;
}

export interface WatchHandlers {
  /** Directories and files the watcher may skip entirely. */
  ignored(abs: string): boolean;
  change(abs: string, change: Change): void;
  error(e: Error): void;
}

/** Starts watching; resolves once the initial scan is done, so nothing written after that is missed. */
export type WatchFactory = (paths: readonly string[], h: WatchHandlers) => Promise<FileWatcher>;

export const chokidarWatcher: WatchFactory = async (paths, h) => {
  const { watch } = await import('chokidar');
  const w = watch([...paths], {
    ignoreInitial: true,
    followSymlinks: false,
    ignored: (p: string) => h.ignored(p),
  });
  w.on('add', (p: string) => h.change(p, 'upsert'));
  w.on('addDir', (p: string) => h.change(p, 'upsert'));
  w.on('change', (p: string) => h.change(p, 'upsert'));
  w.on('unlink', (p: string) => h.change(p, 'delete'));
  w.on('unlinkDir', (p: string) => h.change(p, 'delete'));
  w.on('error', (e: unknown) => h.error(e instanceof Error ? e : new Error(String(e))));
  await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  return { close: () => w.close() };
};
