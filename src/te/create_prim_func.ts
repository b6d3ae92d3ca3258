/**
 * createPrimFunc: turns a TE graph into a TensorIR PrimFunc the way TVM's
 * te.create_prim_func does. Parameters are the given tensors, in order, as handle params bound
 * to buffers; every compute becomes one loop nest with one block (spatial axes, then
 * reduction axes) under the implicit root block, in topological order; computes that are not
 * parameters become root-block allocations.
 */
import { Buffer } from "../ir/buffer.js";
import { handle } from "../ir/dtype.js";
import { BufferLoad, IntImm, PrimExpr, Var } from "../ir/expr.js";
import { ExprMutator, substitute } from "../ir/expr_functor.js";
import { PrimFunc } from "../tir/function.js";
import {
  Block, BlockRealize, BufferStore, For, IfThenElse, IterVar, LetStmt, SeqStmt, TRUE, type AttrValue, type Stmt,
} from "../tir/stmt.js";
import { getBlockReadWriteRegion } from "../tir/block_access.js";
import { Reduce } from "./reduce.js";
import { ComputeOp, PlaceholderOp, Tensor, formatShape, tensorOfProxy, type Operation } from "./tensor.js";

export interface CreatePrimFuncOptions {
  /** The `global_symbol` attribute; default "main". */
  name?: string;
  /** Extra function attributes (merged over global_symbol and tir.noalias). */
  attrs?: Readonly<Record<string, AttrValue>>;
}

/** Hands out names, suffixing `_1`, `_2`, ... on repeats. */
class NameSupply {
  private readonly used = new Set<string>();
  fresh(name: string): string {
    let n = name;
    for (let k = 1; this.used.has(n); k++) n = `${name}_${k}`;
    this.used.add(n);
    return n;
  }
}

/** All ops reachable from the arguments, inputs before their users. */
function orderedOps(args: readonly Tensor[]): Operation[] {
  const order: Operation[] = [];
  const seen = new Set<Operation>();
  const visit = (op: Operation) => {
    if (seen.has(op)) return;
    seen.add(op);
    for (const t of op.inputTensors()) visit(t.op);
    order.push(op);
  };
  for (const t of args) visit(t.op);
  return order;
}

/** Replaces every tensor proxy buffer by the function's buffer for that tensor. */
class BufferRemap extends ExprMutator {
  constructor(
    private readonly where: string,
    private readonly buffers: ReadonlyMap<Tensor, Buffer>,
  ) {
    super();
  }
  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const t = tensorOfProxy(e.buffer);
    if (!t) {
      throw new Error(`createPrimFunc: ${this.where} reads buffer ${e.buffer.name}, which is not a TE tensor; read tensors with tensor.at(...)`);
    }
    const b = this.buffers.get(t);
    if (!b) throw new Error(`internal: createPrimFunc has no buffer for tensor ${t.name}`);
    const idx = this.visitArray(e.indices);
    return new BufferLoad(b, idx, e.predicate);
  }
}

/**
 * Builds a PrimFunc computing `args`' compute tensors from its placeholder tensors. Every
 * placeholder that a compute reads must be in `args`; scalar Vars in `args` become scalar
 * parameters (useful when a shape variable is not implied by any buffer).
 */
export function createPrimFunc(args: readonly (Tensor | Var)[], opts: CreatePrimFuncOptions = {}): PrimFunc {
  const tensors: Tensor[] = [];
  const seenArgs = new Set<Tensor | Var>();
  args.forEach((a, i) => {
    if (!(a instanceof Tensor) && !(a instanceof Var)) {
      throw new TypeError(`createPrimFunc: argument ${i} must be a Tensor or a Var, got ${String(a)}`);
    }
    if (seenArgs.has(a)) throw new TypeError(`createPrimFunc: ${a instanceof Tensor ? "tensor" : "var"} ${a.name} is given twice`);
    seenArgs.add(a);
    if (a instanceof Tensor) tensors.push(a);
  });
  const ops = orderedOps(tensors);
  const computes = ops.filter((op): op is ComputeOp => op instanceof ComputeOp);
  if (computes.length === 0) {
    throw new TypeError(`createPrimFunc: the arguments contain no compute tensor; pass the outputs along with the inputs`);
  }
  const argTensors = new Set(tensors);
  const names = new NameSupply();
  const buffers = new Map<Tensor, Buffer>();
  const allocs: Buffer[] = [];
  for (const op of ops) {
    for (const t of op.outputs) {
      if (op instanceof PlaceholderOp && !argTensors.has(t)) {
        const user = computes.find((c) => c.inputTensors().includes(t));
        throw new TypeError(
          `createPrimFunc: placeholder ${t.name} ${formatShape(t.shape)} is read by compute ${user?.name ?? "?"} but is not in the argument list`,
        );
      }
      const b = new Buffer(names.fresh(t.name), t.dtype, t.shape);
      buffers.set(t, b);
      if (!argTensors.has(t)) allocs.push(b);
    }
  }

  const blockNames = new NameSupply();
  const nests: Stmt[] = computes.map((op) => lowerCompute(op, blockNames.fresh(op.name), buffers));

  const params: Var[] = [];
  const bufferMap = new Map<Var, Buffer>();
  for (const a of args) {
    if (a instanceof Var) {
      params.push(a);
      continue;
    }
    const b = buffers.get(a)!;
    const v = new Var(b.name, handle);
    params.push(v);
    bufferMap.set(v, b);
  }
  const root = new Block({ nameHint: "root", body: SeqStmt.flatten(nests), allocBuffers: allocs });
  const attrs: Record<string, AttrValue> = { global_symbol: opts.name ?? "main", "tir.noalias": true, ...opts.attrs };
  return new PrimFunc(params, BlockRealize.of(root), bufferMap, attrs);
}

/** One compute op as `for ...: with T.block(name): ...`. */
function lowerCompute(op: ComputeOp, blockName: string, buffers: ReadonlyMap<Tensor, Buffer>): Stmt {
  const remap = new BufferRemap(`compute ${op.name}`, buffers);
  const axes = [...op.axis, ...op.reduceAxis];
  const loopVars = axes.map((a) => a.variable.copyWithName(a.variable.name));
  const blockVars = axes.map((a) => a.variable.copyWithName(`v_${a.variable.name}`));
  const vmap = new Map<Var, PrimExpr>();
  axes.forEach((a, i) => vmap.set(a.variable, blockVars[i]!));
  const rewrite = (e: PrimExpr) => substitute(remap.visitExpr(e), vmap);

  const iterVars = axes.map((a, i) => new IterVar(a.dom, blockVars[i]!, a.iterType));
  const outBufs = op.outputs.map((t) => buffers.get(t)!);
  const index = blockVars.slice(0, op.axis.length);
  const load = (b: Buffer) => new BufferLoad(b, index);

  let body: Stmt;
  let init: Stmt | undefined;
  const first = op.body[0]!;
  if (first instanceof Reduce) {
    const red = first;
    const src = red.source.map(rewrite);
    const cond = rewrite(red.condition);
    const combined = red.combiner.combine(outBufs.map(load), src);
    init = SeqStmt.flatten(outBufs.map((b, i) => new BufferStore(b, red.combiner.identity[i]!, index)));
    if (outBufs.length === 1) {
      body = new BufferStore(outBufs[0]!, combined[0]!, index);
    } else {
      // Every new value must be computed from the old ones before any is stored.
      const lets = outBufs.map((b, i) => new Var(`v_${b.name}`, combined[i]!.dtype));
      body = SeqStmt.flatten(outBufs.map((b, i) => new BufferStore(b, lets[i]!, index)));
      for (let i = lets.length - 1; i >= 0; i--) body = new LetStmt(lets[i]!, combined[i]!, body);
    }
    // The `where` condition guards the whole update as an if-statement rather than a Select
    // inside the value: the source is then only evaluated (and only read) for iterations that
    // count, so a condition that protects an out-of-range read keeps the block correct.
    if (!(cond instanceof IntImm && cond.value === 1)) {
      body = new IfThenElse(cond, body);
    }
  } else {
    body = SeqStmt.flatten(op.body.map((b, i) => new BufferStore(outBufs[i]!, rewrite(b), index)));
  }

  let block = new Block({
    nameHint: blockName,
    iterVars,
    body,
    init,
    annotations: op.attrs,
  });
  const rw = getBlockReadWriteRegion(block);
  block = block.with({ reads: rw.reads, writes: rw.writes });
  let stmt: Stmt = new BlockRealize(loopVars, TRUE, block);
  for (let i = axes.length - 1; i >= 0; i--) {
    const dom = axes[i]!.dom;
    stmt = new For(loopVars[i]!, dom.min, dom.extent, "serial", stmt);
  }
  return stmt;
}
