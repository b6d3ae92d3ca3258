/**
 * Printed names for variables and buffers. Like TVM, a name hint is sanitized to a Python
 * identifier and, when the name is taken in an enclosing scope, suffixed `_1`, `_2`, ...
 * (the smallest free suffix). Names are released when their scope closes, so sibling loops
 * both print `i`.
 *
 * Unlike TVM, names that would break re-parsing (Python keywords, the `T`/`I` prefixes,
 * `range`) are never handed out.
 */

const RESERVED = [
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
  "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
  "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "T", "I", "range",
];

/** Replaces characters that cannot appear in a Python identifier with `_`. */
export function sanitizeName(hint: string, fallback: string): string {
  let s = hint.length === 0 ? fallback : hint.replace(/[^A-Za-z0-9_]/g, "_");
  if (s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57) s = "_" + s;
  return s;
}

export class NameTable {
  private readonly used = new Set<string>(RESERVED);
  /** Per base name, a suffix below which every `base_k` is known to be taken. */
  private readonly nextSuffix = new Map<string, number>();

  /** Takes a fresh name for `hint` (sanitized; `fallback` when empty). */
  take(hint: string, fallback = "v"): string {
    const base = sanitizeName(hint, fallback);
    if (!this.used.has(base)) {
      this.used.add(base);
      return base;
    }
    let k = this.nextSuffix.get(base) ?? 1;
    while (this.used.has(`${base}_${k}`)) k++;
    const name = `${base}_${k}`;
    this.used.add(name);
    this.nextSuffix.set(base, k + 1);
    return name;
  }

  /** Marks a name (e.g. `Module`) as taken without suffixing. */
  reserve(name: string): void {
    this.used.add(name);
  }

  release(name: string): void {
    this.used.delete(name);
    const m = /^(.*)_([1-9][0-9]*)$/.exec(name);
    if (m) {
      const k = Number(m[2]);
      const hint = this.nextSuffix.get(m[1]!);
      if (hint !== undefined && k < hint) this.nextSuffix.set(m[1]!, k);
    }
  }
}
