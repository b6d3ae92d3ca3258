/**
 * Making buffers concrete: allocating storage, turning a Buffer's shape / strides / elem_offset
 * into numbers over a storage (checking that the view fits), and binding symbolic variables
 * (shape vars, stride vars, elem_offset vars) to the values an argument or a matched region
 * supplies, TVM's "bind or check" rule: a variable not yet in scope is defined by the value; any
 * other expression must evaluate to it.
 */
import type { DataType } from "../../ir/dtype.js";
import type { Buffer } from "../../ir/buffer.js";
import type { PrimExpr, Var } from "../../ir/expr.js";
import {
  CompileContext, InterpreterError, describeExpr, type BufferBinding, type Frame, type NumFn, type Storage, type StmtFn,
} from "./context.js";
import { compileScalar } from "./compile_expr.js";
import { storageClass } from "./host_array.js";

/**
 * Fresh storage for an Allocate or alloc_buffer. Float storage starts as NaN rather than 0, so
 * a program that reads an element it never wrote (a missing init, a schedule that drops a
 * producer) produces NaN in its output instead of a plausible-looking number.
 */
export function allocStorage(name: string, dtype: DataType, count: number): Storage {
  const e = dtype.element();
  if (!Number.isInteger(count) || count < 0) {
    throw new InterpreterError(`allocation of ${name}: size ${count} is not a non-negative integer`);
  }
  const C = storageClass(e);
  const data = new C(count);
  if (e.isFloat()) data.fill(NaN);
  return { name, dtype: e, data };
}

export function isStorage(x: unknown): x is Storage {
  return typeof x === "object" && x !== null && ArrayBuffer.isView((x as Storage).data) && typeof (x as Storage).name === "string";
}

/** Row-major strides of a shape. */
export function compactStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

/** A binding of `buffer` over `storage`, checked to stay inside the storage. */
export function makeBinding(
  buffer: Buffer,
  storage: Storage,
  shape: readonly number[],
  strides: readonly number[] | undefined,
  offset: number,
  where: string,
): BufferBinding {
  const el = buffer.dtype.element();
  if (storage.dtype !== el) {
    throw new InterpreterError(
      `buffer ${buffer.name} holds ${buffer.dtype} but its data ${storage.name} holds ${storage.dtype}; the interpreter cannot view memory as another type${where}`,
    );
  }
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new InterpreterError(`buffer ${buffer.name} has shape [${shape.join(", ")}], which is not made of non-negative integers${where}`);
    }
  }
  const st = strides ?? compactStrides(shape);
  const lanes = buffer.dtype.lanes;
  let lo = offset, hi = offset, empty = false;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) empty = true;
    const reach = (shape[d]! - 1) * st[d]!;
    if (reach < 0) lo += reach;
    else hi += reach;
  }
  if (!empty && (lo < 0 || (hi + 1) * lanes > storage.data.length)) {
    throw new InterpreterError(
      `buffer ${buffer.name} (shape [${shape.join(", ")}], strides [${st.join(", ")}], elem_offset ${offset}) reaches elements ${lo}..${hi}, ` +
        `but its data ${storage.name} holds ${Math.floor(storage.data.length / lanes)} element(s) of ${buffer.dtype}${where}`,
    );
  }
  return { name: buffer.name, storage, data: storage.data, shape, strides: st, offset, lanes };
}

/** Compiles the binding of a buffer from its own shape / strides / elem_offset expressions. */
export function compileBindingFromExprs(
  ctx: CompileContext,
  buffer: Buffer,
  storage: (f: Frame) => unknown,
): (f: Frame) => BufferBinding {
  const shape = buffer.shape.map((s, i) => compileScalar(ctx, s, `dimension ${i} of buffer ${buffer.name}`));
  const strides = buffer.strides.length ? buffer.strides.map((s, i) => compileScalar(ctx, s, `stride ${i} of buffer ${buffer.name}`)) : undefined;
  const offset = compileScalar(ctx, buffer.elemOffset, `elem_offset of buffer ${buffer.name}`);
  const where = ctx.where();
  return (f) => {
    const st = storage(f);
    if (!isStorage(st)) {
      throw new InterpreterError(`buffer ${buffer.name}: its data var ${buffer.data.name} does not point to memory${where}`);
    }
    return makeBinding(buffer, st, shape.map((c) => c(f)), strides?.map((c) => c(f)), offset(f), where);
  };
}

/**
 * Binds the buffers that are used without being declared (no DeclBuffer etc.) over `dataVar`,
 * now that it is defined. Returns the runtime step (or undefined) and the buffers to release
 * when `dataVar` goes out of scope.
 */
export function bindImplicitBuffers(ctx: CompileContext, dataVar: Var): { run: StmtFn | undefined; buffers: Buffer[] } {
  const bufs = ctx.implicitBuffers.get(dataVar);
  if (!bufs || bufs.length === 0) return { run: undefined, buffers: [] };
  const { slot } = ctx.useVar(dataVar);
  const steps = bufs.map((b) => {
    const make = compileBindingFromExprs(ctx, b, (f) => f.o[slot]);
    const s = ctx.defineBuffer(b);
    return (f: Frame) => {
      f.o[s] = make(f);
    };
  });
  return {
    run: (f) => {
      for (const s of steps) s(f);
    },
    buffers: bufs.slice(),
  };
}

export interface BindItem {
  /** The expression that must equal the supplied value (a Var not yet in scope is defined by it). */
  readonly expr: PrimExpr;
  /** What the value is, for messages: "dimension 0 of buffer A (parameter A)". */
  readonly what: string;
}

export interface Binder {
  /** Binds or checks every item against `values` (parallel to the items). */
  run(f: Frame, values: readonly number[]): void;
  /** Variables the binder defines (the caller ends their scope). */
  readonly defined: readonly Var[];
}

/**
 * Compiles bind-or-check steps. Bare variables are handled first, so that an expression like
 * `n * 2` in one dimension can be checked against `n` bound by another.
 */
export function compileBinder(ctx: CompileContext, items: readonly BindItem[], where = ctx.where()): Binder {
  const defined: Var[] = [];
  const steps: ((f: Frame, values: readonly number[]) => void)[] = [];
  const check = (i: number, fn: NumFn, item: BindItem): void => {
    const constant = item.expr.kind === "IntImm";
    steps.push((f, values) => {
      const want = fn(f), got = values[i]!;
      if (want !== got) {
        const desc = constant ? `${want}` : `${describeExpr(item.expr)} = ${want}`;
        throw new InterpreterError(`${item.what} must be ${desc}, got ${got}${where}`);
      }
    });
  };
  items.forEach((item, i) => {
    const e = item.expr;
    if (e.kind !== "Var" && e.kind !== "SizeVar") return;
    const v = e as Var;
    if (ctx.isLive(v)) {
      check(i, compileScalar(ctx, v, item.what), item);
      return;
    }
    const { slot, obj } = ctx.defineVar(v);
    if (obj) throw ctx.error(`${item.what}: variable ${v.name} must be a scalar integer, got ${v.dtype}`);
    defined.push(v);
    steps.push((f, values) => {
      f.n[slot] = values[i]!;
    });
  });
  items.forEach((item, i) => {
    const k = item.expr.kind;
    if (k === "Var" || k === "SizeVar") return;
    check(i, compileScalar(ctx, item.expr, item.what), item);
  });
  return {
    defined,
    run(f, values) {
      for (const s of steps) s(f, values);
    },
  };
}
