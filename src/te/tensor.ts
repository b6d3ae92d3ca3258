/**
 * Tensor expressions: placeholders (inputs) and computes (outputs defined elementwise by a
 * function of their indices). A tensor is read inside a compute body with `A.at(i, j)`, which
 * builds a BufferLoad on the tensor's own proxy buffer; createPrimFunc later swaps each proxy
 * buffer for the function's real one.
 */
import { DataType, dtypeOf, int64, type DTypeLike } from "../ir/dtype.js";
import { Buffer } from "../ir/buffer.js";
import { BufferLoad, IntImm, PrimExpr, Range, Var } from "../ir/expr.js";
import { ExprVisitor } from "../ir/expr_functor.js";
import { cast, convert, type ExprLike } from "../ir/expr_ops.js";
import { IterVar, type Annotations } from "../tir/stmt.js";
import { Reduce, isAxisVar, markAxisVar } from "./reduce.js";

export type Dim = PrimExpr | number;
export type ShapeLike = readonly Dim[];

/** Maps each tensor's proxy buffer back to the tensor (to find a compute's inputs). */
const tensorOfBuffer = new WeakMap<Buffer, Tensor>();

export function tensorOfProxy(b: Buffer): Tensor | undefined {
  return tensorOfBuffer.get(b);
}

/**
 * Converts a shape to PrimExprs of one index dtype: int64 when any given dim is int64 (Relax
 * shapes), else int32, so that loop variables and index arithmetic never mix widths.
 */
export function toShape(what: string, shape: ShapeLike): PrimExpr[] {
  if (!Array.isArray(shape)) throw new TypeError(`${what}: shape must be an array, got ${String(shape)}`);
  const wide = shape.some((d) => d instanceof PrimExpr && d.dtype === int64);
  return shape.map((d, i) => {
    if (typeof d === "number") {
      if (!Number.isInteger(d) || d < 0) {
        throw new RangeError(`${what}: shape ${formatShape(shape)} has an invalid dimension ${d} at position ${i}; expected a non-negative integer`);
      }
      return wide ? new IntImm(int64, d) : convert(d);
    }
    if (!(d instanceof PrimExpr) || !d.dtype.isIntegral() || d.dtype.lanes !== 1) {
      throw new TypeError(`${what}: dimension ${i} of the shape must be an integer or an integer PrimExpr, got ${String(d)}`);
    }
    return wide && d.dtype !== int64 ? cast(int64, d) : d;
  });
}

const infix: Record<string, string> = { Add: "+", Sub: "-", Mul: "*", FloorDiv: "//", FloorMod: "%" };

/** A dimension as text; does not depend on the script printer being loaded. */
export function formatDim(d: Dim): string {
  if (typeof d === "number") return String(d);
  if (d instanceof IntImm) return String(d.value);
  if (d instanceof Var) return d.name;
  const op = infix[d.kind];
  if (op) {
    const b = d as unknown as { a: PrimExpr; b: PrimExpr };
    return `(${formatDim(b.a)} ${op} ${formatDim(b.b)})`;
  }
  if (d.kind === "Cast") return formatDim((d as unknown as { value: PrimExpr }).value);
  if (d.kind === "Min" || d.kind === "Max") {
    const b = d as unknown as { a: PrimExpr; b: PrimExpr };
    return `${d.kind.toLowerCase()}(${formatDim(b.a)}, ${formatDim(b.b)})`;
  }
  return String(d);
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.map(formatDim).join(", ")}]`;
}

export abstract class Operation {
  readonly outputs: Tensor[] = [];
  constructor(
    readonly name: string,
    readonly tag: string,
    readonly attrs: Annotations,
  ) {}
  get numOutputs(): number {
    return this.outputs.length;
  }
  output(i: number): Tensor {
    const t = this.outputs[i];
    if (!t) throw new RangeError(`${this.name}: output ${i} does not exist (the op has ${this.outputs.length})`);
    return t;
  }
  /** The tensors this op reads, each once, in first-use order. */
  abstract inputTensors(): Tensor[];
}

export class Tensor {
  /** The buffer that loads in TE bodies refer to; replaced by createPrimFunc. */
  readonly buffer: Buffer;
  constructor(
    readonly op: Operation,
    readonly valueIndex: number,
    readonly shape: readonly PrimExpr[],
    readonly dtype: DataType,
    /** The op's name, or `<name>_v<i>` for one output of a multi-output op. */
    readonly name: string,
  ) {
    this.buffer = new Buffer(name, dtype, shape);
    tensorOfBuffer.set(this.buffer, this);
  }
  get ndim(): number {
    return this.shape.length;
  }

  /** The element at the given indices, for use inside a compute body (an IterVar stands for its variable). */
  at(...indices: (ExprLike | IterVar)[]): BufferLoad {
    return this.load(indices);
  }

  load(indices: readonly (ExprLike | IterVar)[]): BufferLoad {
    if (indices.length !== this.shape.length) {
      throw new TypeError(`tensor ${this.name} has ${this.shape.length} dimension(s) ${formatShape(this.shape)} but is indexed with ${indices.length}`);
    }
    const idx = indices.map((x, i) => {
      if (x instanceof IterVar) x = x.variable;
      if (!(x instanceof PrimExpr) && typeof x !== "number" && typeof x !== "boolean") {
        throw new TypeError(`tensor ${this.name}: index ${i} must be a PrimExpr, number or IterVar, got ${String(x)}`);
      }
      const e = convert(x, this.shape[i]!.dtype);
      if (!e.dtype.isIntegral() || e.dtype.lanes !== 1) {
        throw new TypeError(`tensor ${this.name}: index ${i} must be a scalar integer, got ${e.dtype}`);
      }
      return e;
    });
    return new BufferLoad(this.buffer, idx);
  }

  toString(): string {
    return `Tensor(${this.name}, ${formatShape(this.shape)}, ${this.dtype})`;
  }
}

export class PlaceholderOp extends Operation {
  constructor(name: string, shape: readonly PrimExpr[], dtype: DataType) {
    super(name, "", {});
    this.outputs.push(new Tensor(this, 0, shape, dtype, name));
  }
  inputTensors(): Tensor[] {
    return [];
  }
}

export class ComputeOp extends Operation {
  constructor(
    name: string,
    tag: string,
    attrs: Annotations,
    /** One DataPar IterVar per output dimension. */
    readonly axis: readonly IterVar[],
    /** One expression per output; all Reduce (sharing combiner/source/axes) or none. */
    readonly body: readonly PrimExpr[],
  ) {
    super(name, tag, attrs);
    const shape = axis.map((a) => a.dom.extent);
    body.forEach((b, i) => this.outputs.push(new Tensor(this, i, shape, b.dtype, body.length > 1 ? `${name}_v${i}` : name)));
  }

  /** The reduction axes (empty for an elementwise compute). */
  get reduceAxis(): readonly IterVar[] {
    const b = this.body[0];
    return b instanceof Reduce ? b.axis : [];
  }

  inputTensors(): Tensor[] {
    const out: Tensor[] = [];
    const seen = new Set<Tensor>();
    for (const b of this.body) {
      visitTE(b, (load) => {
        const t = tensorOfBuffer.get(load.buffer);
        if (t && !seen.has(t)) {
          seen.add(t);
          out.push(t);
        }
      });
    }
    return out;
  }
}

/**
 * Walks a compute body (which may be a Reduce at the top) calling `onLoad` for every
 * BufferLoad and `onVar` for every variable; `onNestedReduce` fires for a Reduce below the top.
 */
export function visitTE(
  e: PrimExpr,
  onLoad: (l: BufferLoad) => void,
  onVar: (v: Var) => void = () => {},
  onNestedReduce: (r: Reduce) => void = () => {},
): void {
  class V extends ExprVisitor {
    override visitExpr(x: PrimExpr): void {
      if (x instanceof Reduce) {
        onNestedReduce(x);
        return;
      }
      super.visitExpr(x);
    }
    override visitVar(v: Var): void {
      onVar(v);
    }
    override visitBufferLoad(l: BufferLoad): void {
      onLoad(l);
      super.visitBufferLoad(l);
    }
  }
  const v = new V();
  if (e instanceof Reduce) {
    e.source.forEach((s) => v.visitExpr(s));
    v.visitExpr(e.condition);
    for (const a of e.axis) {
      v.visitExpr(a.dom.min);
      v.visitExpr(a.dom.extent);
    }
  } else {
    v.visitExpr(e);
  }
}

/** An input tensor of the given shape and dtype. */
export function placeholder(shape: ShapeLike, dtype: DTypeLike = "float32", name = "placeholder"): Tensor {
  const t = dtypeOf(dtype);
  if (t.lanes !== 1) throw new TypeError(`placeholder ${name}: element dtype must be scalar, got ${t}`);
  return new PlaceholderOp(name, toShape(`placeholder ${name}`, shape), t).outputs[0]!;
}

export interface ComputeOptions {
  /** A category such as "elemwise", "broadcast", "injective", "comm_reduce" (TVM's op tags). */
  tag?: string;
  /** Copied to the block's annotations by createPrimFunc. */
  attrs?: Annotations;
  /** Names of the spatial axes; default: the fcompute's parameter names, else i0, i1, ... */
  axisNames?: readonly string[];
}

/** Parameter names of a plain JS function, when they are simple identifiers. */
export function paramNames(f: (...a: never[]) => unknown): string[] | undefined {
  const src = Function.prototype.toString.call(f);
  const single = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (single) return [single[1]!];
  const list = /^\s*(?:async\s*)?(?:function\b[^(]*)?\(([^)]*)\)/.exec(src);
  if (!list) return undefined;
  const body = list[1]!.trim();
  if (body === "") return [];
  const names = body.split(",").map((s) => s.trim());
  if (names[names.length - 1] === "") names.pop(); // trailing comma
  return names.every((n) => /^[A-Za-z_$][\w$]*$/.test(n)) ? names : undefined;
}

function makeAxes(what: string, shape: readonly PrimExpr[], fcompute: (...a: never[]) => unknown, opts: ComputeOptions): IterVar[] {
  let names = opts.axisNames ? [...opts.axisNames] : paramNames(fcompute);
  if (opts.axisNames && opts.axisNames.length !== shape.length) {
    throw new TypeError(`${what}: ${opts.axisNames.length} axis names for a ${shape.length}-dimensional shape`);
  }
  if (!names || names.length !== shape.length) names = shape.map((_, i) => `i${i}`);
  return shape.map((ext, i) => {
    const v = new Var(names![i]!, ext.dtype);
    markAxisVar(v);
    return new IterVar(Range.fromExtent(ext), v, "DataPar");
  });
}

/** Checks a compute's bodies and returns them as PrimExprs. */
function checkBodies(what: string, axes: readonly IterVar[], raw: readonly ExprLike[]): PrimExpr[] {
  if (raw.length === 0) throw new TypeError(`${what}: fcompute returned no values`);
  const bodies = raw.map((b, i) => {
    if (!(b instanceof PrimExpr) && typeof b !== "number" && typeof b !== "boolean") {
      throw new TypeError(`${what}: fcompute must return a PrimExpr (or number), got ${String(b)} for output ${i}`);
    }
    const e = convert(b);
    if (e.dtype.lanes !== 1) throw new TypeError(`${what}: the body must be a scalar expression, got ${e.dtype}`);
    if (e.dtype.isHandle()) throw new TypeError(`${what}: the body must be a numeric or bool expression, got ${e.dtype}`);
    return e;
  });
  const reduces = bodies.filter((b): b is Reduce => b instanceof Reduce);
  const allowed = new Set<Var>(axes.map((a) => a.variable));
  if (reduces.length > 0) {
    const r0 = reduces[0]!;
    if (reduces.length !== bodies.length) {
      throw new TypeError(`${what}: either every output is a reduction or none is`);
    }
    if (r0.combiner.numValues !== bodies.length) {
      throw new TypeError(
        `${what}: the ${r0.combiner.name} reduction produces ${r0.combiner.numValues} values but the compute has ${bodies.length} output(s); ` +
          `a multi-value reduction needs computeMulti returning all of its values`,
      );
    }
    reduces.forEach((r, i) => {
      if (r.combiner !== r0.combiner || r.source !== r0.source || r.axis !== r0.axis || r.condition !== r0.condition) {
        throw new TypeError(`${what}: all outputs must come from one call of the same multi-value reducer`);
      }
      if (r.valueIndex !== i) throw new TypeError(`${what}: output ${i} is value ${r.valueIndex} of the reduction; keep them in order`);
    });
    for (const a of r0.axis) {
      const check = (v: Var) => {
        if (isAxisVar(v)) {
          throw new TypeError(`${what}: the domain of reduction axis ${a.variable.name} uses axis variable ${v.name}; reduction domains must not depend on loop variables`);
        }
      };
      visitTE(a.dom.min, () => {}, check);
      visitTE(a.dom.extent, () => {}, check);
      allowed.add(a.variable);
    }
  }
  for (const b of bodies) {
    visitTE(
      b,
      () => {},
      (v) => {
        if (isAxisVar(v) && !allowed.has(v)) {
          throw new TypeError(
            `${what}: the body uses axis variable ${v.name}, which is neither an axis of this compute nor a reduction axis of its reduction`,
          );
        }
      },
      (r) => {
        throw new TypeError(`${what}: a reduction (${r.combiner.name}) must be the whole body of a compute, not part of a larger expression`);
      },
    );
  }
  return bodies;
}

/** A tensor whose element at `(i, j, ...)` is `fcompute(i, j, ...)`. */
export function compute(shape: ShapeLike, fcompute: (...indices: Var[]) => ExprLike, name = "compute", opts: ComputeOptions = {}): Tensor {
  const what = `compute ${name}`;
  const s = toShape(what, shape);
  const axes = makeAxes(what, s, fcompute, opts);
  const raw = fcompute(...axes.map((a) => a.variable));
  if (Array.isArray(raw)) throw new TypeError(`${what}: fcompute returned an array; use computeMulti for several outputs`);
  const bodies = checkBodies(what, axes, [raw]);
  return new ComputeOp(name, opts.tag ?? "", opts.attrs ?? {}, axes, bodies).outputs[0]!;
}

/** Several tensors of one shape computed together (one block), e.g. argmax's index and value. */
export function computeMulti(
  shape: ShapeLike,
  fcompute: (...indices: Var[]) => readonly ExprLike[],
  name = "compute",
  opts: ComputeOptions = {},
): Tensor[] {
  const what = `compute ${name}`;
  const s = toShape(what, shape);
  const axes = makeAxes(what, s, fcompute, opts);
  const raw = fcompute(...axes.map((a) => a.variable));
  if (!Array.isArray(raw)) throw new TypeError(`${what}: computeMulti's fcompute must return an array of values`);
  const bodies = checkBodies(what, axes, raw);
  return [...new ComputeOp(name, opts.tag ?? "", opts.attrs ?? {}, axes, bodies).outputs];
}
