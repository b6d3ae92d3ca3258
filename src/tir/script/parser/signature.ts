/**
 * Signatures of TVMScript builtins and binding call arguments to them with Python's rules
 * and Python-like messages ("T.grid() got an unexpected keyword argument 'x'"), plus the
 * "did you mean" suggestion for misspelled names.
 */
import type { Span } from "../python/ast.js";
import type { ParseContext } from "./context.js";
import { Builtin, type Arg, type BoundArgs, type CallArgs, type CallSite, type ScriptValue, type Signature } from "./values.js";

/**
 * Parses a compact signature: `"shape, dtype?, *, scope?"`. A `?` marks an optional
 * parameter, `*args` collects extra positional arguments, names after a bare `*` are
 * keyword-only.
 */
export function sig(text: string): Signature {
  const params: string[] = [];
  const kwOnly: string[] = [];
  let required = 0;
  let varargs = false;
  let kwMode = false;
  let optionalSeen = false;
  for (const raw of text.split(",")) {
    const p = raw.trim();
    if (p === "") continue;
    if (p === "*") {
      kwMode = true;
      continue;
    }
    if (p.startsWith("*")) {
      varargs = true;
      kwMode = true;
      continue;
    }
    const optional = p.endsWith("?");
    const name = optional ? p.slice(0, -1) : p;
    if (kwMode) {
      kwOnly.push(name);
      continue;
    }
    params.push(name);
    if (!optional) {
      if (optionalSeen) throw new Error(`internal: required parameter ${name} after optional ones in "${text}"`);
      required++;
    } else {
      optionalSeen = true;
    }
  }
  return { params, required, kwOnly, varargs };
}

/** Binds call arguments to a signature; errors name the builtin and the argument. */
export function bindArgs(ctx: ParseContext, name: string, s: Signature, args: CallArgs, span: Span): BoundArgs {
  const bound = new Map<string, Arg>();
  const rest: Arg[] = [];
  args.pos.forEach((a, i) => {
    if (i < s.params.length) bound.set(s.params[i]!, a);
    else if (s.varargs) rest.push(a);
    else {
      const n = s.params.length;
      ctx.fail(
        `${name}() takes ${n === 0 ? "no" : `at most ${n}`} positional argument${n === 1 ? "" : "s"} but ${args.pos.length} ${args.pos.length === 1 ? "was" : "were"} given`,
        a.span,
      );
    }
  });
  for (const [k, a] of args.kw) {
    const known = s.params.includes(k) || (s.kwOnly ?? []).includes(k);
    if (!known) {
      const all = [...s.params, ...(s.kwOnly ?? [])];
      const hint = suggest(k, all);
      ctx.fail(`${name}() got an unexpected keyword argument '${k}'${hint ? ` (did you mean '${hint}'?)` : ""}`, a.span);
    }
    if (bound.has(k)) ctx.fail(`${name}() got multiple values for argument '${k}'`, a.span);
    bound.set(k, a);
  }
  for (let i = 0; i < s.required; i++) {
    const p = s.params[i]!;
    if (!bound.has(p)) ctx.fail(`${name}() missing required argument '${p}'`, span);
  }
  return { get: (n) => bound.get(n), rest };
}

/** Shorthand for defining a builtin with a compact signature. */
export function builtin(
  name: string,
  signature: string | undefined,
  impl: (a: BoundArgs & CallArgs, site: CallSite) => ScriptValue,
): Builtin {
  return new Builtin(name, signature === undefined ? undefined : sig(signature), impl);
}

/**
 * The closest candidate within a small edit distance, for "did you mean" hints. Case is
 * ignored, then used to break ties (`T.exq` suggests `T.exp`, not `T.EQ`).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestKey = Infinity;
  const lower = word.toLowerCase();
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d > limit) continue;
    const key = d * 100 + editDistance(word, c);
    if (key < bestKey) {
      bestKey = key;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Binds the arguments of a call to a builtin (variadic builtins without a signature get them as is). */
export function bindBuiltinArgs(b: Builtin, args: CallArgs, site: CallSite): BoundArgs & CallArgs {
  // Built field by field (not with object spread): this runs for every builtin call.
  if (!b.sig) return { pos: args.pos, kw: args.kw, get: () => undefined, rest: args.pos };
  const bound = bindArgs(site.ctx, b.name, b.sig, args, site.span);
  return { pos: args.pos, kw: args.kw, get: bound.get, rest: bound.rest };
}
