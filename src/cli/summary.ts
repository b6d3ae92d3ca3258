/**
 * The JSON summary weft prints for an array: shape, dtype, sum, l2 norm and the first values.
 * Used by `weft script run` (and later `weft run`), so outputs can be compared at a glance.
 */
type Indexable<T> = { readonly length: number; readonly [i: number]: T };

export interface SummarizableArray {
  readonly dtype: { toString(): string };
  readonly shape: readonly number[];
  readonly data: Indexable<number> | Indexable<bigint>;
}

export interface ArraySummary {
  shape: number[];
  dtype: string;
  sum: number;
  l2: number;
  head: number[];
}

export function summarize(a: SummarizableArray, headCount = 8): ArraySummary {
  let sum = 0;
  let sq = 0;
  const head: number[] = [];
  const n = a.data.length;
  for (let i = 0; i < n; i++) {
    const v = Number(a.data[i]);
    sum += v;
    sq += v * v;
    if (i < headCount) head.push(v);
  }
  return { shape: [...a.shape], dtype: a.dtype.toString(), sum, l2: Math.sqrt(sq), head };
}
