/**
 * Loop transformations that change the iteration space's loop structure: split (one loop into
 * several, with a predicate when the factors overshoot the extent) and fuse (a chain of
 * directly nested loops into one). Both rewrite the block bindings below in iterator-map
 * normal form, as TVM does. Reorder and addUnitLoop live in loop_reorder.ts.
 */
import { Analyzer } from "../../arith/analyzer.js";
import { int64, type DataType } from "../../ir/dtype.js";
import { IntImm, PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { usesVar } from "../../ir/expr_functor.js";
import { For, type Stmt } from "../../tir/stmt.js";
import { loopDomains } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { ExprRV, LoopRV } from "../rv.js";
import { Schedule } from "../schedule.js";
import type { StmtSRef } from "../sref.js";
import { rewriteLoopBody } from "./loop_rewrite.js";

export interface SplitOptions {
  /** Keep extent-1 loop variables in the block bindings (default true). */
  preserveUnitIters?: boolean;
  /**
   * Promise that the factors cover the extent exactly, so no predicate is added. weft checks
   * the promise: a split that would need a predicate is rejected instead.
   */
  disablePredication?: boolean;
}

export interface FuseOptions {
  /** Keep extent-1 loop variables in the block bindings (default true). */
  preserveUnitIters?: boolean;
}

/** A split factor: an integer, a sampled value, or undefined (null) for the one inferred factor. */
export type SplitFactor = number | ExprRV | undefined | null;

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Splits `loop` into nested loops `i_0, i_1, ...` of the given extents, outermost first.
     * At most one factor may be undefined; it becomes ceildiv(extent, product of the others).
     * When the product exceeds the extent the blocks below get `T.where(i_0 * f + i_1 < n)`.
     */
    split(loop: LoopRV, factors: readonly SplitFactor[], opts?: SplitOptions): LoopRV[];
    /** Fuses directly nested loops (outermost first) into one loop `i_j_fused`. */
    fuse(...loops: (LoopRV | FuseOptions)[]): LoopRV;
  }
}

/** TVM's requirements shared by split and fuse: a plain loop starting at 0. */
export function checkPlainLoop(sch: Schedule, prim: string, s: StmtSRef, analyzer: Analyzer): void {
  const loop = s.loop();
  if (Object.keys(loop.annotations).length > 0 || loop.forKind === "thread_binding") {
    const what = loop.forKind === "thread_binding" ? `is bound to thread axis "${loop.threadTag}"` : `has annotations (${Object.keys(loop.annotations).join(", ")})`;
    throw sch.error(prim, `The primitive can't be applied because the loop ${loop.loopVar.name} has annotation or thread binding: it ${what}`, s, [s]);
  }
  if (!E.isConstInt(loop.min, 0) && !analyzer.canProve(E.eq(loop.min, E.constant(0, loop.min.dtype)))) {
    throw sch.error(prim, `The loop ${loop.loopVar.name} does not start with 0 (its min is ${loop.min}), which is not supported`, s, [s]);
  }
}

Schedule.prototype.split = function (this: Schedule, loop: LoopRV, factors: readonly SplitFactor[], opts: SplitOptions = {}): LoopRV[] {
  return this.transact("split", () => {
    const prim = "split";
    const preserve = opts.preserveUnitIters ?? true;
    const disable = opts.disablePredication ?? false;
    const s = this.loopSRef(loop, prim);
    const f = s.loop();
    if (!Array.isArray(factors) || factors.length === 0) {
      throw this.error(prim, "expects a non-empty list of factors, e.g. sch.split(loop, [undefined, 32])", s, [s]);
    }
    const dtype = f.loopVar.dtype;
    // Step 1: the factors (TVM's ConcreteScheduleNode::Split checks).
    let inferAt = -1;
    const given: (number | undefined)[] = factors.map((x, k) => {
      if (x === undefined || x === null) {
        if (inferAt >= 0) {
          throw this.error(prim, `only one factor can be specified as None (undefined); factors ${inferAt} and ${k} both are`, s, [s]);
        }
        inferAt = k;
        return undefined;
      }
      const v = typeof x === "number" ? x : this.value(x, prim);
      if (!Number.isInteger(v)) throw this.error(prim, `the factor at position ${k} is ${v}, which is not an integer`, s, [s]);
      if (v <= 0) {
        throw this.error(prim, `All the constant factors are required to be positive. However, the factor at position ${k} is ${v}`, s, [s]);
      }
      return v;
    });
    const analyzer = new Analyzer();
    const product = given.reduce<number>((p, v) => p * (v ?? 1), 1);
    const productExpr = E.constant(product, dtype);
    if (inferAt < 0 && !analyzer.canProve(E.ge(productExpr, f.extent))) {
      throw this.error(
        prim,
        `The product of factors (${product}) is not larger than or equal to the extent of loop ${f.loopVar.name} (${f.extent})`,
        s,
        [s],
      );
    }
    // Step 2: the loop itself.
    checkPlainLoop(this, prim, s, analyzer);
    const extents: PrimExpr[] = given.map((v) =>
      v !== undefined ? E.constant(v, dtype) : analyzer.simplify(E.floordiv(E.sub(E.add(f.extent, productExpr), 1), productExpr)),
    );
    // Step 3: i = (i_0 * f_1 + i_1) * f_2 + i_2 ..., guarded when the new loops overshoot.
    const vars = extents.map((_, k) => f.loopVar.copyWithName(`${f.loopVar.name}_${k}`));
    let value: PrimExpr = E.constant(0, dtype);
    vars.forEach((v, k) => {
      value = E.add(E.mul(value, extents[k]!), v);
      analyzer.bind(v, new Range(E.constant(0, dtype), extents[k]!));
    });
    const guard = E.lt(value, f.extent);
    // Constant extents: the new loops overshoot exactly when the product exceeds the extent.
    const constant = f.extent instanceof IntImm && extents.every((e) => e instanceof IntImm);
    const covered = extents.reduce((p, e) => p * (e instanceof IntImm ? e.value : NaN), 1);
    const needsGuard = constant ? covered !== (f.extent as IntImm).value : !analyzer.canProve(guard);
    if (needsGuard && disable) {
      const shown = factors.map((x) => (x === undefined || x === null ? "None" : String(typeof x === "number" ? x : this.value(x, prim))));
      throw this.error(
        prim,
        `disable_predication is set, but the factors [${shown.join(", ")}] do not provably cover the extent ${f.extent} of loop ${f.loopVar.name} exactly ` +
          `(the blocks would need the predicate ${guard}); use factors whose product divides the extent, or allow the predicate`,
        s,
        [s],
      );
    }
    const doms = loopDomains(s);
    vars.forEach((v, k) => doms.set(v, new Range(E.constant(0, dtype), extents[k]!)));
    const normal = splitNormalForm(vars, extents, preserve);
    const { stmt: body, reuse } = rewriteLoopBody(f.body, {
      vmap: new Map([[f.loopVar, value]]),
      normalForm: normal ? new Map([[f.loopVar, normal]]) : undefined,
      predicate: needsGuard ? guard : undefined,
      doms,
      preserveUnitIters: preserve,
      analyzer,
    });
    // Step 4: the new loop nest replaces the old loop.
    let nest: Stmt = body;
    for (let k = vars.length - 1; k >= 0; k--) nest = new For(vars[k]!, E.constant(0, dtype), extents[k]!, "serial", nest);
    this.state.replace(s, nest, reuse);
    const outs: LoopRV[] = [];
    for (let x: Stmt = nest, k = 0; k < vars.length; k++, x = (x as For).body) outs.push(this.newLoopRV(this.state.getSRef(x as For)!));
    this.record("Split", [loop, ...factors.map((x) => x ?? null)], [preserve ? 1 : 0, disable ? 1 : 0], outs);
    return outs;
  });
};

Schedule.prototype.fuse = function (this: Schedule, ...args: (LoopRV | FuseOptions)[]): LoopRV {
  return this.transact("fuse", () => {
    const prim = "fuse";
    const last = args[args.length - 1];
    const isOptions = typeof last === "object" && last !== null && Object.getPrototypeOf(last) === Object.prototype;
    const opts: FuseOptions = isOptions ? (last as FuseOptions) : {};
    const loops = (isOptions ? args.slice(0, -1) : args) as LoopRV[];
    const preserve = opts.preserveUnitIters ?? true;
    if (loops.length === 0) throw this.error(prim, "expects at least one loop");
    const srefs = loops.map((l) => this.loopSRef(l, prim));
    const analyzer = new Analyzer();
    const outerVars = new Set<Var>();
    srefs.forEach((s, k) => {
      const loop = s.loop();
      checkPlainLoop(this, prim, s, analyzer);
      if (k > 0) {
        const outer = srefs[k - 1]!;
        if (s === outer || srefs.indexOf(s) !== k) {
          throw this.error(prim, `loop ${loop.loopVar.name} is given more than once`, s, [s]);
        }
        if (s.parent !== outer) {
          throw this.error(
            prim,
            `The loops can't be fused because the outer loop ${outer.loop().loopVar.name} is not the parent of the inner loop ${loop.loopVar.name} ` +
              `(fuse takes directly nested loops, outermost first)`,
            s,
            [outer, s],
          );
        }
        if (outer.loop().body !== loop) {
          throw this.error(
            prim,
            `The loops can't be fused because the inner loop ${loop.loopVar.name} is not the only child of outer loop ${outer.loop().loopVar.name}`,
            s,
            [outer, s],
          );
        }
      }
      let used: Var | undefined;
      usesVar(loop.extent, (v) => (outerVars.has(v) ? ((used = v), true) : false));
      if (used) {
        throw this.error(prim, `A loop ${loop.loopVar.name}'s \`extent\` (${loop.extent}) is dependent on another loop ${used.name}`, s, [s]);
      }
      outerVars.add(loop.loopVar);
    });
    const fors = srefs.map((s) => s.loop());
    const dtype: DataType = fors.some((l) => l.loopVar.dtype.bits > 32) ? int64 : fors[0]!.loopVar.dtype;
    const first = fors[0]!.loopVar;
    const name = `${[first.name, ...fors.slice(1).map((l) => l.loopVar.name)].join("_")}_fused`;
    const fused = dtype === first.dtype ? first.copyWithName(name) : new Var(name, dtype);
    const ext = (l: For): PrimExpr => E.cast(dtype, l.extent);
    const isUnit = (l: For): boolean => E.isConstInt(l.extent, 1);
    // i = f // (ext_j * ext_k), j = f % (ext_j * ext_k) // ext_k, k = f % ext_k
    const vmap = new Map<Var, PrimExpr>();
    let lower: PrimExpr = E.constant(1, dtype);
    for (let k = fors.length - 1; k > 0; k--) {
      const l = fors[k]!;
      const v = isUnit(l) ? E.constant(0, dtype) : E.floordiv(E.floormod(fused, E.mul(lower, ext(l))), lower);
      vmap.set(l.loopVar, E.cast(l.loopVar.dtype, v));
      lower = E.mul(lower, ext(l));
    }
    vmap.set(first, E.cast(first.dtype, isUnit(fors[0]!) ? E.constant(0, dtype) : E.floordiv(fused, lower)));
    const extent = analyzer.simplify(fors.reduce<PrimExpr>((p, l) => E.mul(p, ext(l)), E.constant(1, dtype)));
    const doms = loopDomains(srefs[0]!);
    doms.set(fused, new Range(E.constant(0, dtype), extent));
    const { stmt: body, reuse } = rewriteLoopBody(fors[fors.length - 1]!.body, {
      vmap,
      normalForm: fuseNormalForm(fors, fused),
      doms,
      preserveUnitIters: preserve,
      analyzer,
    });
    const loop = new For(fused, E.constant(0, dtype), extent, "serial", body);
    this.state.replace(srefs[0]!, loop, reuse);
    const rv = this.newLoopRV(this.state.getSRef(loop)!);
    this.record("Fuse", loops, [preserve ? 1 : 0], [rv]);
    return rv;
  });
};

/**
 * What the iterator map makes of `i` after a split by constant factors: `i_0 * 32 + i_1 * 4 +
 * i_2` (unit loops kept or dropped), the same with or without a predicate.
 */
function splitNormalForm(vars: readonly Var[], extents: readonly PrimExpr[], preserve: boolean): PrimExpr | undefined {
  if (!extents.every((e) => e instanceof IntImm)) return undefined;
  const sizes = extents.map((e) => (e as IntImm).value);
  const dtype = vars[0]!.dtype;
  let out: PrimExpr | undefined;
  let stride = sizes.reduce((p, x) => p * x, 1);
  vars.forEach((v, k) => {
    stride /= sizes[k]!;
    if (sizes[k] === 1 && !preserve) return;
    const term = stride === 1 ? v : E.mul(v, E.constant(stride, dtype));
    out = out ? E.add(out, term) : term;
  });
  return out ?? E.constant(0, dtype);
}

/**
 * What the iterator map makes of each fused loop variable for constant extents: `f // 16384`,
 * `f % 16384 // 128`, `f % 128` (no floormod for the outermost non-unit loop, no floordiv for
 * the innermost, 0 for unit loops).
 */
function fuseNormalForm(fors: readonly For[], fused: Var): Map<Var, PrimExpr> | undefined {
  if (!fors.every((l) => l.extent instanceof IntImm && l.loopVar.dtype === fused.dtype)) return undefined;
  const sizes = fors.map((l) => (l.extent as IntImm).value);
  const out = new Map<Var, PrimExpr>();
  fors.forEach((l, k) => {
    const inner = sizes.slice(k + 1).reduce((p, x) => p * x, 1);
    const outer = sizes.slice(0, k).reduce((p, x) => p * x, 1);
    let v: PrimExpr = fused;
    if (sizes[k] === 1) v = E.constant(0, fused.dtype);
    else {
      if (outer > 1) v = E.floormod(v, E.constant(sizes[k]! * inner, fused.dtype));
      if (inner > 1) v = E.floordiv(v, E.constant(inner, fused.dtype));
    }
    out.set(l.loopVar, v);
  });
  return out;
}

/** Trace attrs are 1/0 in TVM's JSON but true/false in older records; both mean the flag. */
export function boolAttr(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null) return dflt;
  return v === true || v === 1 || v === "1" || v === "true";
}

registerInstructionKind({
  name: "Split",
  pure: false,
  apply: (sch, inputs, attrs) => {
    const [loop, ...factors] = inputs;
    return sch.split(loop as LoopRV, factors.map((x) => (x === null ? undefined : x)) as SplitFactor[], {
      preserveUnitIters: boolAttr(attrs[0], true),
      disablePredication: boolAttr(attrs[1], false),
    });
  },
  toTS: (inputs, attrs, outs) => {
    const [loop, ...factors] = inputs;
    const o: string[] = [];
    if (!boolAttr(attrs[0], true)) o.push("preserveUnitIters: false");
    if (boolAttr(attrs[1], false)) o.push("disablePredication: true");
    const extra = o.length ? `, { ${o.join(", ")} }` : "";
    return `${tsOutputs(outs, true)}sch.split(${loop}, [${factors.join(", ")}]${extra});`;
  },
});

registerInstructionKind({
  name: "Fuse",
  pure: false,
  apply: (sch, inputs, attrs) => [sch.fuse(...(inputs as LoopRV[]), { preserveUnitIters: boolAttr(attrs[0], true) })],
  toTS: (inputs, attrs, outs) => {
    const extra = boolAttr(attrs[0], true) ? "" : ", { preserveUnitIters: false }";
    return `${tsOutputs(outs, false)}sch.fuse(${inputs.join(", ")}${extra});`;
  },
});
