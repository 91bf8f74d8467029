/** A copy of `record` without `key` (the same object when the key is absent, so selectors stay stable). */
export function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  if (!(key in record)) return record;
  const next = { ...record };
  delete next[key];
  return next;
}
