/**
 * Python literal spellings used by the TVMScript printer: integers, floats (TVM's rules, so
 * that the text diffs cleanly against TVM's output), strings and dtype names.
 */
import type { DataType } from "../../../ir/dtype.js";

/** An integer as Python source (large magnitudes spelled out, never in exponent form). */
export function formatInt(v: number): string {
  if (Object.is(v, -0)) return "0";
  return Math.abs(v) < 1e21 ? String(v) : BigInt(v).toString();
}

/**
 * A float the way TVM's Python doc printer writes it: integral values with one decimal
 * (`2.0`, `-340282346638528859811704183484516925440.0`), others with 17 significant digits in
 * C's `%g` style (`0.029999999999999999`, `1.0000000000000001e-05`), inf/nan quoted.
 */
export function formatFloat(v: number): string {
  if (Number.isNaN(v)) return '"nan"';
  if (!Number.isFinite(v)) return v > 0 ? '"inf"' : '"-inf"';
  if (Number.isInteger(v)) {
    if (Object.is(v, -0)) return "-0.0";
    return `${Math.abs(v) < 1e21 ? v.toFixed(0) : BigInt(v).toString()}.0`;
  }
  return (v < 0 ? "-" : "") + formatG17(Math.abs(v));
}

const view = new DataView(new ArrayBuffer(8));

/**
 * C's `%.17g` for a positive non-integral double. JavaScript's toPrecision rounds exact
 * ties upward, printf rounds them to even (ties are common for float32 values), so the
 * digits come from the exact decimal expansion: a double is m * 2^-k = m * 5^k / 10^k.
 */
function formatG17(v: number): string {
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let k: number;
  if (expBits === 0) k = 1074;
  else {
    mant |= 1n << 52n;
    k = 1075 - expBits;
  }
  // Non-integral values always have k > 0 here.
  let digits = (mant * 5n ** BigInt(k)).toString();
  let exp = digits.length - 1 - k;
  if (digits.length > 17) {
    const head = digits.slice(0, 17);
    const rest = digits.slice(17);
    const first = rest.charCodeAt(0) - 48;
    const tail = /[1-9]/.test(rest.slice(1));
    const odd = (head.charCodeAt(16) - 48) % 2 === 1;
    if (first > 5 || (first === 5 && (tail || odd))) {
      digits = (BigInt(head) + 1n).toString();
      if (digits.length > 17) {
        digits = digits.slice(0, 17);
        exp++;
      }
    } else {
      digits = head;
    }
  }
  digits = digits.replace(/0+$/, "");
  if (exp < -4 || exp >= 17) {
    const mag = String(Math.abs(exp));
    const mant10 = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${mant10}e${exp < 0 ? "-" : "+"}${mag.length < 2 ? "0" + mag : mag}`;
  }
  if (exp < 0) return `0.${"0".repeat(-exp - 1)}${digits}`;
  const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
  const frac = digits.slice(exp + 1);
  return frac.length > 0 ? `${intPart}.${frac}` : intPart;
}

/** A double-quoted Python string literal. Control characters are escaped, so the printer's
 * own marker characters can never come from user text. */
export function quote(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = "\\\\";
    else if (c === 10) esc = "\\n";
    else if (c === 9) esc = "\\t";
    else if (c === 13) esc = "\\r";
    else if (c < 32 || c === 127) esc = `\\x${c.toString(16).padStart(2, "0")}`;
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** The dtype as TVMScript spells it (`float32`, `int32x4`, `bool`, `handle`, `void`). */
export function dtypeName(t: DataType): string {
  return t.toString();
}

/** `(a, b)`, `(a,)` or `()`: a Python tuple display. */
export function tupleText(items: readonly string[]): string {
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
}

/** `f(a, b, k=v)`. */
export function callText(callee: string, args: readonly string[], kwargs?: ReadonlyArray<readonly [string, string]>): string {
  let s = args.join(", ");
  if (kwargs) {
    for (const [k, v] of kwargs) s += (s.length ? ", " : "") + k + "=" + v;
  }
  return `${callee}(${s})`;
}
