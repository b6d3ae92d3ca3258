/**
 * JSON text the way MetaSchedule's `JSONDumps` writes tuning records: compact (no spaces), map
 * keys sorted, numbers as C's `%.20g`. Matching it byte for byte lets a trace read from a TVM
 * database be written back unchanged (JSON.stringify would print 0.1 where TVM prints
 * 0.10000000000000000555, and keep object keys in insertion order).
 */

/** Serialises plain JSON data (null, booleans, numbers, strings, arrays, string-keyed objects). */
export function dumpsJSON(value: unknown): string {
  const out: string[] = [];
  write(value, out, "");
  return out.join("");
}

function write(v: unknown, out: string[], path: string): void {
  if (v === null || v === undefined) {
    out.push("null");
    return;
  }
  switch (typeof v) {
    case "boolean":
      out.push(v ? "true" : "false");
      return;
    case "number":
      out.push(formatG20(v, path));
      return;
    case "string":
      out.push(JSON.stringify(v));
      return;
    case "object":
      break;
    default:
      throw new Error(`trace JSON: cannot write a ${typeof v} at ${path || "the top level"}`);
  }
  if (Array.isArray(v)) {
    out.push("[");
    v.forEach((x, i) => {
      if (i > 0) out.push(",");
      write(x, out, `${path}[${i}]`);
    });
    out.push("]");
    return;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
    const name = (v as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw new Error(`trace JSON: cannot write a ${name} at ${path || "the top level"} (only numbers, strings, lists and string-keyed maps)`);
  }
  const keys = Object.keys(v).sort();
  out.push("{");
  keys.forEach((k, i) => {
    if (i > 0) out.push(",");
    out.push(JSON.stringify(k), ":");
    write((v as Record<string, unknown>)[k], out, `${path}.${k}`);
  });
  out.push("}");
}

/**
 * C's `printf("%.20g", x)`: 20 significant digits, trailing zeros dropped, exponent form when
 * the decimal exponent is below -4 or at least 20. Integers below 1e20 print as plain digits.
 */
export function formatG20(x: number, path = ""): string {
  if (!Number.isFinite(x)) throw new Error(`trace JSON: ${x} at ${path || "the top level"} has no JSON form`);
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exp = x.toExponential(19); // d.ddddddddddddddddddde±X, rounded from the exact binary value
  const at = exp.indexOf("e");
  const e = Number(exp.slice(at + 1));
  if (e < -4 || e >= 20) {
    const mant = stripZeros(exp.slice(0, at));
    const sign = e < 0 ? "-" : "+";
    const digits = String(Math.abs(e)).padStart(2, "0");
    return `${mant}e${sign}${digits}`;
  }
  return stripZeros(x.toFixed(19 - e));
}

function stripZeros(s: string): string {
  if (!s.includes(".")) return s;
  return s.replace(/0+$/, "").replace(/\.$/, "");
}
