/**
 * Structural equality and hashing over any registered node kind. Variables and buffers are
 * compared by binding position: two functions that differ only in names are equal. Free
 * variables are compared by identity unless `mapFreeVars` is set.
 *
 * The hash ignores variable identity (it sees a variable's dtype only), so it is a valid hash
 * for both modes and can be cached per node: a subtree is hashed once, however often it is
 * shared.
 */
import { nodeFields, isNode, isVarKind, type FieldSpec, type Node } from "./node.js";

type Obj = Node & Record<string, unknown>;

function isVar(n: Node): boolean {
  return isVarKind(n.kind);
}

function valueEq(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEq(a[i], b[i])) return false;
    return true;
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const x = a as { kind?: string; name?: string }, y = b as { kind?: string; name?: string };
    if (x.kind === "GlobalVar" && y.kind === "GlobalVar") return x.name === y.name;
  }
  return false;
}

class EqualChecker {
  private readonly l2r = new Map<Node, Node>();
  private readonly r2l = new Map<Node, Node>();
  /** > 0 inside a "defnode" field: unbound variables met there are definitions. */
  private defining = 0;
  constructor(private readonly mapFreeVars: boolean) {}

  private bind(a: Node, b: Node): boolean {
    const m = this.l2r.get(a);
    if (m !== undefined) return m === b;
    if (this.r2l.has(b)) return false;
    this.l2r.set(a, b);
    this.r2l.set(b, a);
    return true;
  }

  /** A variable or buffer at its definition. */
  def(a: Node | undefined, b: Node | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    if (a.kind !== b.kind) return false;
    const m = this.l2r.get(a);
    if (m !== undefined) return m === b;
    if (this.r2l.has(b)) return false;
    if (isVar(a)) {
      if (!this.fields(a as Obj, b as Obj)) return false;
      return this.bind(a, b);
    }
    // Buffers: bind first (their data var is defined with them), then compare the rest.
    this.bind(a, b);
    if (a.kind === "Buffer") this.bindBufferVars(a as Obj, b as Obj);
    return this.fields(a as Obj, b as Obj);
  }

  /**
   * A buffer defines the variables that stand alone in its shape, strides and elem_offset
   * (`strides=[lda, 1]`, `elem_offset=A_elem_offset`) unless they are already bound, as TVM's
   * DefEqual on those fields does.
   */
  private bindBufferVars(a: Obj, b: Obj): void {
    const pairs: [unknown, unknown][] = [[a.elemOffset, b.elemOffset]];
    for (const f of ["shape", "strides"]) {
      const xs = a[f] as readonly unknown[], ys = b[f] as readonly unknown[];
      if (xs.length === ys.length) xs.forEach((x, i) => pairs.push([x, ys[i]]));
    }
    for (const [x, y] of pairs) {
      if (!isNode(x) || !isNode(y) || !isVar(x) || !isVar(y)) continue;
      if (this.l2r.has(x) || this.r2l.has(y) || x === y) continue;
      this.def(x, y);
    }
  }

  eq(a: unknown, b: unknown): boolean {
    if (a === undefined || a === null || b === undefined || b === null) return a === b;
    if (!isNode(a) || !isNode(b)) return valueEq(a, b);
    if (a.kind !== b.kind) return false;
    if (isVar(a) || a.kind === "Buffer") {
      const m = this.l2r.get(a);
      if (m !== undefined) return m === b;
      if (this.r2l.has(b)) return false;
      if (a === b) return true;
      if (!this.mapFreeVars && this.defining === 0) return false;
      return this.def(a, b);
    }
    if (a === b && !this.mapFreeVars) return true;
    return this.fields(a as Obj, b as Obj);
  }

  private fields(a: Obj, b: Obj): boolean {
    for (const f of nodeFields(a.kind)) {
      if (!this.field(f, a[f.name], b[f.name])) return false;
    }
    return true;
  }

  private field(f: FieldSpec, x: unknown, y: unknown): boolean {
    switch (f.kind) {
      case "ignore":
        return true;
      case "value":
        return valueEq(x, y);
      case "node":
        return this.eq(x, y);
      case "defnode": {
        this.defining++;
        try {
          return this.eq(x, y);
        } finally {
          this.defining--;
        }
      }
      case "def":
        return this.def(x as Node | undefined, y as Node | undefined);
      case "nodes":
      case "defs": {
        const xs = (x ?? []) as readonly unknown[], ys = (y ?? []) as readonly unknown[];
        if (xs.length !== ys.length) return false;
        for (let i = 0; i < xs.length; i++) {
          const ok = f.kind === "defs" ? this.def(xs[i] as Node, ys[i] as Node) : this.eq(xs[i], ys[i]);
          if (!ok) return false;
        }
        return true;
      }
      case "attrs":
        return this.attrs(x, y);
      case "defmap": {
        const mx = x as ReadonlyMap<Node, Node>, my = y as ReadonlyMap<Node, Node>;
        if (mx.size !== my.size) return false;
        const ex = [...mx], ey = [...my];
        for (let i = 0; i < ex.length; i++) {
          if (!this.eq(ex[i]![0], ey[i]![0]) || !this.def(ex[i]![1], ey[i]![1])) return false;
        }
        return true;
      }
    }
  }

  private attrs(x: unknown, y: unknown): boolean {
    if (x === y) return true;
    if (Array.isArray(x) || Array.isArray(y)) {
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
      return x.every((v, i) => this.attrs(v, y[i]));
    }
    if (isNode(x) || isNode(y)) return this.eq(x, y);
    if (typeof x === "object" && x !== null && typeof y === "object" && y !== null) {
      const kx = Object.keys(x).sort(), ky = Object.keys(y).sort();
      if (!valueEq(kx, ky)) return false;
      return kx.every((k) => this.attrs((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
    }
    return valueEq(x, y);
  }
}

export interface EqualOptions {
  /** Treat unbound variables on the two sides as equal when they line up consistently. */
  mapFreeVars?: boolean;
}

export function structuralEqual(a: unknown, b: unknown, opts: EqualOptions = {}): boolean {
  return new EqualChecker(opts.mapFreeVars ?? false).eq(a, b);
}

/** Throws with both sides printed when they differ (for tests and pass checks). */
export function assertStructuralEqual(a: unknown, b: unknown, opts: EqualOptions = {}): void {
  if (!structuralEqual(a, b, opts)) {
    throw new Error(`structural mismatch:\n--- left\n${String(a)}\n--- right\n${String(b)}`);
  }
}

// ---------------------------------------------------------------- hashing

const hashCache = new WeakMap<object, number>();

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function hashValue(v: unknown): number {
  switch (typeof v) {
    case "undefined":
      return 0x1234;
    case "boolean":
      return v ? 0x51 : 0x52;
    case "number":
      return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? v | 0 : hashString(String(v));
    case "string":
      return hashString(v);
    case "bigint":
      return hashString(v.toString());
    default:
      break;
  }
  if (v === null) return 0x4321;
  if (Array.isArray(v)) {
    let h = 0x777;
    for (const x of v) h = mix(h, isNode(x) ? structuralHash(x) : hashValue(x));
    return h;
  }
  const o = v as { kind?: string; name?: string; toString(): string };
  if (isNode(o)) return structuralHash(o);
  if (o.kind === "Op" || o.kind === "GlobalVar") return hashString(`${o.kind}:${o.name}`);
  if (typeof v === "object") {
    let h = 0x999;
    for (const k of Object.keys(v).sort()) h = mix(mix(h, hashString(k)), hashValue((v as Record<string, unknown>)[k]));
    return h;
  }
  return hashString(String(v));
}

export function structuralHash(n: unknown): number {
  if (!isNode(n)) return hashValue(n);
  const cached = hashCache.get(n);
  if (cached !== undefined) return cached;
  const o = n as Obj;
  let h = hashString(n.kind);
  for (const f of nodeFields(n.kind)) {
    if (f.kind === "ignore") continue;
    const v = o[f.name];
    if (f.kind === "defmap") {
      for (const [k, val] of v as ReadonlyMap<unknown, unknown>) h = mix(mix(h, hashValue(k)), hashValue(val));
    } else {
      h = mix(h, hashValue(v));
    }
  }
  hashCache.set(n, h);
  return h;
}
