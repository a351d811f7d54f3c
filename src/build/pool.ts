// Runs tasks with at most `limit` in flight. After the first failure no new task starts (the ones not yet
// started are reported as cancelled) while the running ones finish; an abort signal also stops new starts.

export type Outcome<T> = { status: 'ok'; value: T } | { status: 'failed'; error: unknown } | { status: 'cancelled' };

export async function runPool<K, T>(
  keys: K[],
  limit: number,
  task: (key: K) => Promise<T>,
  o: { signal?: AbortSignal; stopOnFailure?: boolean; onCancel?: (key: K) => void } = {},
): Promise<Map<K, Outcome<T>>> {
  const results = new Map<K, Outcome<T>>();
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const key = keys[next++]!;
      if ((failed && o.stopOnFailure !== false) || o.signal?.aborted) {
        results.set(key, { status: 'cancelled' });
        o.onCancel?.(key);
        continue;
      }
      try {
        results.set(key, { status: 'ok', value: await task(key) });
      } catch (error) {
        failed = true;
        results.set(key, { status: 'failed', error });
      }
    }
  };
  const n = Math.max(1, Math.min(limit, keys.length));
  await Promise.all(Array.from({ length: n }, () => worker()));
  return results;
}
