/**
 * FuseTIR: turns every `Primitive` function FuseOps made into one PrimFunc and its calls into
 * `R.call_tir` of it. The PrimFuncs the group called are inlined one after the other under a
 * single root block:
 *
 * - the group's parameters become input buffers and its result(s) output buffers; every
 *   tensor passed from one member to the next becomes an `alloc_buffer` of the root block
 *   (so the default schedules can inline or compute it at its consumer);
 * - each member's buffers are replaced by those, and its symbolic vars by the dims they take
 *   in the group (matched from the call's shapes and tir_vars);
 * - blocks keep their names, made unique with `_1`, `_2` suffixes;
 * - a symbolic var no parameter buffer binds becomes a trailing scalar parameter, passed at
 *   the call in `tir_vars`.
 * The fused PrimFunc takes the group function's name; functions no longer reachable from an
 * exported function are dropped (the member PrimFuncs, when nothing else calls them).
 */
import { Buffer } from "../../ir/buffer.js";
import { handle } from "../../ir/dtype.js";
import { GlobalVar, Var as TirVar, type PrimExpr } from "../../ir/expr.js";
import { IRModule, type BaseFunc } from "../../ir/module.js";
import { structuralEqual } from "../../ir/structural.js";
import { PrimFunc } from "../../tir/function.js";
import { Block, BlockRealize, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";
import { MatchCast } from "../binding.js";
import { Call, Function, SeqExpr, ShapeExpr, Tuple, TupleGetItem, Var, type Expr } from "../expr.js";
import { callTir } from "../op/builtin.js";
import { RelaxOp } from "../op/registry.js";
import { matchSymbolicVars } from "../struct_info_analysis.js";
import { ShapeStructInfo, TensorStructInfo, TupleStructInfo, type StructInfo } from "../struct_info.js";
import { reachableFunctions } from "./dead_code_elimination.js";
import { ExprMutator } from "./mutator.js";
import { modulePass, wrapError, type Pass } from "./pass.js";
import { BufferVarRewriter, undefinedVars } from "../../tir/func_vars.js";

function tensorInfo(s: StructInfo | undefined, what: string): TensorStructInfo {
  if (!(s instanceof TensorStructInfo) || !s.dims || s.isUnknownDtype) throw new Error(`FuseTIR: ${what} needs a tensor with known shape and dtype`);
  return s;
}

function newBuffer(name: string, s: TensorStructInfo): Buffer {
  return new Buffer(name, s.dtype, s.dims!);
}

/**
 * Renames blocks whose names are already taken (`T_add` -> `T_add_1`) and drops read regions
 * repeated once two inputs became the same buffer (`add(e, e)`).
 */
class BlockRenamer extends StmtExprMutator {
  constructor(private readonly used: Set<string>) {
    super();
  }
  override visitBlock(b: Block): Stmt {
    const inner = super.visitBlock(b) as Block;
    let name = inner.nameHint;
    for (let k = 1; this.used.has(name); k++) name = `${inner.nameHint}_${k}`;
    this.used.add(name);
    const reads = inner.reads.filter((r, i) => !inner.reads.slice(0, i).some((q) => structuralEqual(q, r)));
    if (name === inner.nameHint && reads.length === inner.reads.length) return inner;
    return inner.with({ nameHint: name, reads });
  }
}

/** The PrimFunc computing the group function `g`; scalar params are the vars nothing binds. */
export function fuseGroup(g: Function, name: string, mod: IRModule): { func: PrimFunc; scalars: TirVar[] } {
  const body = g.body;
  if (!(body instanceof SeqExpr)) throw new Error(`FuseTIR: "${name}" has no binding blocks`);
  const bufOf = new Map<Var, Buffer | Buffer[]>();
  const params: TirVar[] = [];
  const bufferMap = new Map<TirVar, Buffer>();
  for (const p of g.params) {
    if (p.structInfo instanceof ShapeStructInfo) continue;
    const b = newBuffer(p.name, tensorInfo(p.structInfo, `parameter '${p.name}' of "${name}"`));
    const h = new TirVar(p.name, handle);
    params.push(h);
    bufferMap.set(h, b);
    bufOf.set(p, b);
  }
  const results = body.body instanceof Tuple ? body.body.fields : [body.body];
  const outVars = results.map((r) => {
    if (!(r instanceof Var) || g.params.includes(r)) throw new Error(`FuseTIR: "${name}" must return vars it computes`);
    return r;
  });
  const outBufs = new Map<Var, Buffer>();
  const allocs: Buffer[] = [];
  const stmts: Stmt[] = [];
  const usedNames = new Set<string>(["root"]);
  for (const blk of body.blocks) {
    for (const b of blk.bindings) {
      if (b instanceof MatchCast) throw new Error(`FuseTIR: "${name}" contains a match_cast, which cannot be fused`);
      const v = b.value;
      if (v instanceof TupleGetItem && v.tuple instanceof Var) {
        const t = bufOf.get(v.tuple);
        if (!Array.isArray(t)) throw new Error(`FuseTIR: '${b.variable.name}' reads a field of a value that is not a multi-output call`);
        bufOf.set(b.variable, t[v.index]!);
        continue;
      }
      if (!(v instanceof Call && v.op instanceof RelaxOp && v.op.name === "relax.call_tir")) {
        throw new Error(`FuseTIR: "${name}" binds '${b.variable.name}' to something other than call_tir`);
      }
      const callee = mod.get((v.args[0] as GlobalVar).name);
      if (!(callee instanceof PrimFunc)) throw new Error(`FuseTIR: call_tir of a ${callee.kind}`);
      // Output buffers: the group's results are parameters, the rest intermediate allocations.
      const outInfos = v.sinfoArgs[0] instanceof TupleStructInfo ? v.sinfoArgs[0].fields : [v.sinfoArgs[0]!];
      const outs = outInfos.map((s, i) => {
        const nm = outInfos.length > 1 ? `${b.variable.name}_${i}` : b.variable.name;
        const buf = newBuffer(nm, tensorInfo(s, `the output of '${b.variable.name}'`));
        return buf;
      });
      if (outs.length === 1 && outVars.includes(b.variable)) outBufs.set(b.variable, outs[0]!);
      else allocs.push(...outs);
      bufOf.set(b.variable, outs.length === 1 ? outs[0]! : outs);
      const ins = (v.args[1] as Tuple).fields.map((a) => {
        const x = a instanceof Var ? bufOf.get(a) : undefined;
        if (!x || Array.isArray(x)) throw new Error(`FuseTIR: argument ${String(a.kind)} of '${b.variable.name}' is not a tensor of the group`);
        return x;
      });
      const actual = [...ins, ...outs];
      const tirVars = v.args[2] instanceof ShapeExpr ? v.args[2].values : [];
      // Match the callee's params: buffers to the actual buffers, symbolic vars to their dims.
      const vmap = new Map<TirVar, PrimExpr>();
      const bmap = new Map<Buffer, Buffer>();
      let k = 0, s = 0;
      for (const p of callee.params) {
        const pb = callee.bufferMap.get(p);
        if (pb) {
          const target = actual[k++];
          if (!target) throw new Error(`FuseTIR: ${String(v.args[0])} takes more buffers than the call passes`);
          bmap.set(pb, target);
          pb.shape.forEach((d, i) => {
            if ((d.kind === "Var" || d.kind === "SizeVar") && !vmap.has(d as TirVar)) vmap.set(d as TirVar, target.shape[i]!);
          });
        } else {
          const t = tirVars[s++];
          if (!t) throw new Error(`FuseTIR: ${String(v.args[0])} takes more scalars than the call's tir_vars`);
          vmap.set(p, t);
        }
      }
      const rw = new BufferVarRewriter(vmap, bmap);
      const realize = rw.visitStmt(callee.body);
      const rootBlock = realize instanceof BlockRealize ? realize.block : undefined;
      if (!rootBlock) throw new Error(`FuseTIR: the body of ${String(v.args[0])} is not a root block`);
      allocs.push(...rootBlock.allocBuffers);
      stmts.push(new BlockRenamer(usedNames).visitStmt(rootBlock.body));
    }
  }
  for (const o of outVars) {
    const b = outBufs.get(o);
    if (!b) throw new Error(`FuseTIR: result '${o.name}' of "${name}" is not a single call_tir output`);
    const h = new TirVar(o.name, handle);
    params.push(h);
    bufferMap.set(h, b);
  }
  const root = new Block({ nameHint: "root", body: SeqStmt.flatten(stmts), allocBuffers: allocs });
  let func = new PrimFunc(params, BlockRealize.of(root), bufferMap, { "tir.noalias": true });
  const scalars = undefinedVars(func);
  if (scalars.length > 0) func = func.with({ params: [...params, ...scalars] });
  return { func, scalars };
}

class CallRewriter extends ExprMutator {
  constructor(
    mod: IRModule,
    private readonly fused: ReadonlyMap<string, { gv: GlobalVar; group: Function; scalars: TirVar[] }>,
  ) {
    super(mod);
  }

  override visitCall(call: Call): Expr {
    const c = super.visitCall(call);
    if (!(c instanceof Call) || !(c.op instanceof GlobalVar)) return c;
    const f = this.fused.get(c.op.name);
    if (!f) return c;
    // The module the builder knows has the fused PrimFunc under this name, so the call's
    // StructInfo comes from the (normalized) input rather than from re-inference.
    const n = c;
    if (!n.structInfo) throw new Error(`FuseTIR: the call of "${f.gv.name}" is not normalized; run Normalize first`);
    // The group's symbolic vars in terms of the caller's.
    const vmap = new Map<TirVar, PrimExpr>();
    f.group.params.forEach((p, i) => {
      const a = n.args[i] as Expr;
      if (p.structInfo instanceof ShapeStructInfo && a instanceof ShapeExpr) {
        p.structInfo.values?.forEach((d, j) => d instanceof TirVar && vmap.set(d, a.values[j]!));
      } else matchSymbolicVars(p.structInfo, a.structInfo!, vmap);
    });
    const args = n.args.filter((_, i) => !(f.group.params[i]!.structInfo instanceof ShapeStructInfo)) as Expr[];
    const tv = f.scalars.length > 0 ? new ShapeExpr(f.scalars.map((v) => vmap.get(v) ?? v)) : undefined;
    return callTir(f.gv, args, n.structInfo!, tv);
  }
}

export function fuseTIR(mod: IRModule): IRModule {
  const fused = new Map<string, { gv: GlobalVar; group: Function; scalars: TirVar[] }>();
  const entries: [GlobalVar, BaseFunc][] = [];
  for (const [g, f] of mod.entries()) {
    if (f instanceof Function && f.attrs["Primitive"] !== undefined) {
      try {
        const { func, scalars } = fuseGroup(f, g.name, mod);
        fused.set(g.name, { gv: g, group: f, scalars });
        entries.push([g, func]);
      } catch (e) {
        throw wrapError("FuseTIR", g.name, e);
      }
    } else entries.push([g, f]);
  }
  const withFused = new IRModule(entries, mod.attrs);
  const out = entries.map(([g, f]): [GlobalVar, BaseFunc] => {
    if (!(f instanceof Function)) return [g, f];
    try {
      return [g, new CallRewriter(withFused, fused).rewriteFunction(f, g.name)];
    } catch (e) {
      throw wrapError("FuseTIR", g.name, e);
    }
  });
  const result = new IRModule(out, mod.attrs);
  const keep = reachableFunctions(result);
  return new IRModule([...result.entries()].filter(([g]) => keep.has(g.name)), mod.attrs);
}

export const FuseTIR: Pass = modulePass("FuseTIR", fuseTIR);
