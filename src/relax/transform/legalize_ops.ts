/**
 * LegalizeOps: every call of a core Relax operator becomes a TensorIR PrimFunc made with the
 * TE operator library (`te.topi` + `createPrimFunc`) and an `R.call_tir` of it:
 *
 *     lv = R.add(x, y)   ->   lv = R.call_tir(cls.add, (x, y), out_sinfo=R.Tensor((n, 4), dtype="float32"))
 *
 * - PrimFuncs are private (no global_symbol), named after the operator (`add`, `matmul`,
 *   `transpose`, ...; `add1`, `add2` when shapes differ) and deduplicated structurally, so
 *   equal computations share one PrimFunc.
 * - Symbolic dims stay symbolic: the PrimFunc's buffers use the same symbolic vars; a var
 *   that no parameter buffer has as a dimension of its own (e.g. only `n * 2` appears, or a
 *   slice bound) becomes a trailing scalar parameter passed in `tir_vars=R.shape([...])`.
 * - The out_sinfo is the call's inferred StructInfo (from the TE outputs when inference left
 *   the shape unknown).
 * - An operator without a legalization, or whose tensors have unknown shapes or dtypes, is an
 *   error listing every such call with its function and binding. Cross-level calls
 *   (call_tir, call_dps_packed, call_pure_packed) and shape_of are left for the VM.
 */
import { GlobalVar, type PrimExpr, type Var as TirVar } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { structuralEqual, structuralHash } from "../../ir/structural.js";
import { createPrimFunc } from "../../te/create_prim_func.js";
import type { AttrValue as TirAttrValue } from "../../tir/stmt.js";
import { placeholder, type Tensor } from "../../te/tensor.js";
import { PrimFunc } from "../../tir/function.js";
import type { Binding } from "../binding.js";
import type { BlockBuilder } from "../block_builder.js";
import { Call, Function, ShapeExpr, Tuple, TupleGetItem, type Expr } from "../expr.js";
import { callTir } from "../op/builtin.js";
import { sinfoText } from "../op/infer_util.js";
import { RelaxOp } from "../op/registry.js";
import { StructInfo, TensorStructInfo, TupleStructInfo } from "../struct_info.js";
import { LEGALIZE_RULES } from "./legalize_rules.js";
import { ExprMutator } from "./mutator.js";
import { modulePass, type Pass } from "./pass.js";
import { substitutePrimFunc, undefinedVars } from "../../tir/func_vars.js";

/** An argument of `te`: an expression (tensor, or tuple of tensors), optionally with the placeholder's name. */
export type TEInput = Expr | readonly [Expr, string];

export interface LegalizeContext {
  readonly bb: BlockBuilder;
  /**
   * Builds a PrimFunc from a TE computation over tensor arguments (a tuple argument gives an
   * array of tensors) and returns the `R.call_tir` of it. `outSinfo` defaults to the call's
   * StructInfo.
   */
  /** `funcAttrs` are added to the PrimFunc's attributes (e.g. `weft.reshape` for view-able kernels). */
  te(name: string, inputs: readonly TEInput[], fte: (...xs: never[]) => Tensor | readonly Tensor[], outSinfo?: StructInfo, funcAttrs?: Readonly<Record<string, TirAttrValue>>): Expr;
}

/** Rewrites a (normalized) call; may emit helper bindings through `ctx.bb`. */
export type LegalizeFn = (call: Call, ctx: LegalizeContext) => Expr;

const extraRules = new Map<string, LegalizeFn | null>();

/** Ops that stay calls after legalization (they are not tensor computations). */
const KEEP = new Set(["relax.call_tir", "relax.call_dps_packed", "relax.call_pure_packed", "relax.shape_of"]);

/**
 * Registers the legalization of an operator (added by another module); `null` marks an op that
 * legalization leaves alone.
 */
export function registerLegalization(opName: string, rule: LegalizeFn | null): void {
  extraRules.set(opName, rule);
}

/** The rule for `op`: a function, null (keep the call), or undefined (none). */
export function legalizationOf(op: RelaxOp): LegalizeFn | null | undefined {
  if (extraRules.has(op.name)) return extraRules.get(op.name);
  if (KEEP.has(op.name)) return null;
  return LEGALIZE_RULES[op.name];
}

/** Names of the operators LegalizeOps knows how to compute. */
export function legalizedOps(): string[] {
  const names = new Set(Object.keys(LEGALIZE_RULES));
  for (const [k, r] of extraRules) if (r) names.add(k);
  return [...names].sort();
}

/** Raised by a rule when it cannot legalize the call as written (unknown shape, ...). */
export class LegalizeSkip extends Error {}

/**
 * Holds the PrimFuncs made so far: names in use and a structural index for deduplication.
 */
export class PrimFuncTable {
  readonly added: [GlobalVar, PrimFunc][] = [];
  private readonly names = new Set<string>();
  private readonly byHash = new Map<number, [GlobalVar, PrimFunc][]>();

  constructor(mod: IRModule) {
    for (const [g, f] of mod.entries()) {
      this.names.add(g.name);
      if (f instanceof PrimFunc) this.index(g, f);
    }
  }

  private index(g: GlobalVar, f: PrimFunc): void {
    const h = structuralHash(f);
    const list = this.byHash.get(h) ?? [];
    list.push([g, f]);
    this.byHash.set(h, list);
  }

  /** `hint`, or `hint1`, `hint2`, ... when taken. */
  uniqueName(hint: string): string {
    let name = hint;
    for (let k = 1; this.names.has(name); k++) name = `${hint}${k}`;
    this.names.add(name);
    return name;
  }

  /** The GlobalVar of an equal PrimFunc already in the table, else `f` added under a fresh name. */
  add(f: PrimFunc, hint: string): GlobalVar {
    for (const [g, h] of this.byHash.get(structuralHash(f)) ?? []) if (structuralEqual(h, f)) return g;
    const g = new GlobalVar(this.uniqueName(hint));
    this.added.push([g, f]);
    this.index(g, f);
    return g;
  }
}

/** A private PrimFunc computing `outs` from `inputs`; vars nothing binds become trailing params. */
export function primFuncFromTE(inputs: readonly Tensor[], outs: readonly Tensor[]): { func: PrimFunc; tirVars: TirVar[] } {
  let func = createPrimFunc([...inputs, ...outs]);
  const free = undefinedVars(func);
  for (const v of free) {
    if (v.dtype.bits !== 64 || !v.dtype.isInt()) throw new LegalizeSkip(`the computation uses the symbolic var ${v.name} of type ${v.dtype}; only int64 vars can be passed as tir_vars`);
  }
  if (free.length > 0) func = createPrimFunc([...inputs, ...outs, ...free]);
  const { global_symbol: _, ...attrs } = func.attrs;
  // The PrimFunc gets its own copies of the Relax function's symbolic vars (as TVM's call_te).
  const fresh = new Map<TirVar, PrimExpr>();
  for (const v of [...free, ...undefinedVars(func, false)]) fresh.set(v, v.copyWithName(v.name));
  return { func: substitutePrimFunc(func.with({ attrs }), fresh), tirVars: free };
}

function placeholderOf(s: StructInfo | undefined, name: string, what: string): Tensor {
  if (!(s instanceof TensorStructInfo)) throw new LegalizeSkip(`${what} must be a tensor, got ${s ? sinfoText(s) : "an unnormalized value"}`);
  const dims = s.dims;
  if (!dims) throw new LegalizeSkip(`the shape of ${what} is unknown (${sinfoText(s)}); give it one with R.match_cast first`);
  if (s.isUnknownDtype) throw new LegalizeSkip(`the dtype of ${what} is unknown (${sinfoText(s)})`);
  return placeholder(dims, s.dtype, name);
}

function sinfoOfTensors(ts: readonly Tensor[]): StructInfo {
  const one = (t: Tensor) => new TensorStructInfo(new ShapeExpr(t.shape), t.dtype);
  return ts.length === 1 ? one(ts[0]!) : new TupleStructInfo(ts.map(one));
}

function hasKnownShapes(s: StructInfo | undefined): boolean {
  if (s instanceof TensorStructInfo) return s.dims !== undefined && !s.isUnknownDtype;
  if (s instanceof TupleStructInfo) return s.fields.length > 0 && s.fields.every(hasKnownShapes);
  return false;
}

/** The LegalizeContext of one call: builds PrimFuncs into `table`. */
export class TEContext implements LegalizeContext {
  call: Call | undefined;
  constructor(
    readonly bb: BlockBuilder,
    readonly table: PrimFuncTable,
  ) {}

  te(name: string, inputs: readonly TEInput[], fte: (...xs: never[]) => Tensor | readonly Tensor[], outSinfo?: StructInfo, funcAttrs?: Readonly<Record<string, TirAttrValue>>): Expr {
    const args: Expr[] = [];
    const flat: Tensor[] = [];
    const teArgs: (Tensor | Tensor[])[] = [];
    inputs.forEach((inp, i) => {
      const [e, pname] = isNamed(inp) ? inp : [inp, `x${i}`];
      const s = e.structInfo;
      if (s instanceof TupleStructInfo) {
        const ts = s.fields.map((f, k) => {
          const field = e instanceof Tuple ? e.fields[k]! : this.bb.emit(new TupleGetItem(e, k));
          args.push(field);
          return placeholderOf(f, `${pname}_${k}`, `'${pname}'[${k}]`);
        });
        flat.push(...ts);
        teArgs.push(ts);
      } else {
        const t = placeholderOf(s, pname, `'${pname}'`);
        args.push(e);
        flat.push(t);
        teArgs.push(t);
      }
    });
    const out = (fte as (...xs: (Tensor | Tensor[])[]) => Tensor | readonly Tensor[])(...teArgs);
    const outs: Tensor[] = Array.isArray(out) ? [...(out as readonly Tensor[])] : [out as Tensor];
    const made = primFuncFromTE(flat, outs);
    const { tirVars } = made;
    const func = funcAttrs ? made.func.with({ attrs: { ...made.func.attrs, ...funcAttrs } }) : made.func;
    const gv = this.table.add(func, name);
    let sinfo = outSinfo ?? this.call?.structInfo;
    if (!hasKnownShapes(sinfo)) sinfo = sinfoOfTensors(outs);
    const tv = tirVars.length > 0 ? new ShapeExpr(tirVars) : undefined;
    return callTir(gv, args, sinfo!, tv);
  }
}

function isNamed(x: TEInput): x is readonly [Expr, string] {
  return Array.isArray(x);
}

/** One call LegalizeOps could not rewrite. */
export interface LegalizeFailure {
  /** `R.nn.foo`. */
  readonly op: string;
  readonly func: string;
  /** The var the call is bound to. */
  readonly binding: string;
  readonly reason: string;
}

/** Lists every call LegalizeOps could not rewrite, with its function and binding. */
export class LegalizeError extends Error {
  constructor(readonly failures: readonly LegalizeFailure[]) {
    super(
      `LegalizeOps: ${failures.length} call(s) cannot be legalized:\n` +
        failures.map((f) => `  ${f.op} in function "${f.func}", binding '${f.binding}': ${f.reason}`).join("\n"),
    );
    this.name = "LegalizeError";
  }
}

class Legalizer extends ExprMutator {
  readonly errors: LegalizeFailure[] = [];
  readonly ctx: TEContext;
  private binding = "";

  constructor(mod: IRModule, table: PrimFuncTable) {
    super(mod);
    this.ctx = new TEContext(this.bb, table);
  }

  override visitBinding(b: Binding): void {
    this.binding = b.variable.name;
    super.visitBinding(b);
  }

  override visitCall(call: Call): Expr {
    const c = super.visitCall(call);
    if (!(c instanceof Call) || !(c.op instanceof RelaxOp)) return c;
    const rule = legalizationOf(c.op);
    if (rule === null) return c;
    const fail = (reason: string) => this.errors.push({ op: `R.${(c.op as RelaxOp).scriptName}`, func: this.funcName, binding: this.binding, reason });
    if (rule === undefined) {
      fail("the operator has no legalization (register one with registerLegalization)");
      return c;
    }
    const n = this.bb.normalize(c) as Call;
    this.ctx.call = n;
    try {
      return rule(n, this.ctx);
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
      return n;
    } finally {
      this.ctx.call = undefined;
    }
  }
}

/** Legalizes one module; throws a LegalizeError listing every call it could not legalize. */
export function legalizeOps(mod: IRModule): IRModule {
  const table = new PrimFuncTable(mod);
  const errors: LegalizeFailure[] = [];
  const entries: [GlobalVar, BaseFunc][] = [];
  for (const [g, f] of mod.entries()) {
    if (!(f instanceof Function)) {
      entries.push([g, f]);
      continue;
    }
    const l = new Legalizer(mod, table);
    entries.push([g, l.rewriteFunction(f, g.name)]);
    errors.push(...l.errors);
  }
  if (errors.length > 0) throw new LegalizeError(errors);
  return new IRModule([...entries, ...table.added], mod.attrs);
}

export const LegalizeOps: Pass = modulePass("LegalizeOps", legalizeOps);

/**
 * Legalizes a single normalized call outside any module (FoldConstant): the PrimFunc(s) it
 * makes go to `table`. The call's arguments must be leaves.
 */
export function legalizeCall(call: Call, bb: BlockBuilder, table: PrimFuncTable): Expr | undefined {
  if (!(call.op instanceof RelaxOp)) return undefined;
  const rule = legalizationOf(call.op);
  if (!rule) return undefined;
  const ctx = new TEContext(bb, table);
  ctx.call = call;
  return rule(call, ctx);
}
