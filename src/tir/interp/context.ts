/**
 * What the expression and statement compilers share: the runtime frame (variables live in
 * numbered slots, resolved once at compile time), storage and buffer bindings, the compile-time
 * scope of variables and buffers, and the interpreter's error type.
 */
import type { DataType } from "../../ir/dtype.js";
import type { Buffer } from "../../ir/buffer.js";
import type { PrimExpr, Var } from "../../ir/expr.js";
import type { TypedArray } from "./host_array.js";

/** Typed arrays the interpreter computes on (BigInt arrays are converted at the boundary). */
export type NumArray = Exclude<TypedArray, BigInt64Array | BigUint64Array>;

/** The variables of one call: scalars in `n`, vectors, handles and buffer bindings in `o`. */
export class Frame {
  readonly n: Float64Array;
  readonly o: unknown[];
  constructor(numSlots: number, objSlots: number) {
    this.n = new Float64Array(numSlots);
    this.o = new Array<unknown>(objSlots).fill(undefined);
  }
}

/** A compiled expression: a number for scalars, an array of lanes for vectors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- numbers or lane arrays, by the dtype known at compile time
export type ExprFn = (f: Frame) => any;
export type NumFn = (f: Frame) => number;
export type StmtFn = (f: Frame) => void;

/** Memory a data pointer refers to: typed-array lanes of one scalar dtype. */
export interface Storage {
  readonly name: string;
  /** The scalar dtype of one lane. */
  readonly dtype: DataType;
  readonly data: NumArray;
}

/** A buffer made concrete for one scope: where element (i0, i1, ...) lives in storage. */
export interface BufferBinding {
  readonly name: string;
  readonly storage: Storage;
  readonly data: NumArray;
  readonly shape: readonly number[];
  /** Strides in elements of the buffer's dtype. */
  readonly strides: readonly number[];
  /** elem_offset, in elements of the buffer's dtype. */
  readonly offset: number;
  /** Lanes per element (4 for a float32x4 buffer). */
  readonly lanes: number;
}

/** Every error the interpreter raises about the program or its arguments. */
export class InterpreterError extends Error {
  override name = "InterpreterError";
}

/** Raised by T.ret; caught at the function boundary. */
export class ReturnSignal {
  constructor(readonly value: unknown) {}
}

interface VarSlot {
  readonly slot: number;
  /** Whether the value lives in `o` (vectors, handles) rather than `n`. */
  readonly obj: boolean;
}

/** Whether values of this dtype live in the object part of the frame. */
export function isObjType(t: DataType): boolean {
  return t.lanes > 1 || t.isHandle();
}

export class CompileContext {
  numSlots = 0;
  objSlots = 0;
  private readonly varSlots = new Map<Var, VarSlot>();
  private readonly liveVars = new Set<Var>();
  private readonly bufSlots = new Map<Buffer, number>();
  private readonly liveBufs = new Set<Buffer>();
  private readonly blocks: string[] = [];

  constructor(
    readonly funcName: string,
    /** Buffers that some statement defines (buffer_map, alloc_buffers, match_buffer, DeclBuffer). */
    readonly declaredBuffers: ReadonlySet<Buffer>,
    /** Buffers used without a definition, by their data var: bound where the data var is. */
    readonly implicitBuffers: ReadonlyMap<Var, readonly Buffer[]>,
  ) {}

  /** " in block "B" of function f", for messages. */
  where(): string {
    const b = this.blocks[this.blocks.length - 1];
    return b !== undefined ? ` in block "${b}" of function ${this.funcName}` : ` in function ${this.funcName}`;
  }

  pushBlock(name: string): void {
    this.blocks.push(name);
  }
  popBlock(): void {
    this.blocks.pop();
  }

  error(msg: string): InterpreterError {
    return new InterpreterError(`${msg}${this.where()}`);
  }

  /** Brings a variable into scope and gives it a slot. */
  defineVar(v: Var): VarSlot {
    if (this.liveVars.has(v)) {
      throw this.error(`variable ${v.name} is defined again while its earlier definition is still in scope`);
    }
    let s = this.varSlots.get(v);
    if (!s) {
      const obj = isObjType(v.dtype);
      s = { slot: obj ? this.objSlots++ : this.numSlots++, obj };
      this.varSlots.set(v, s);
    }
    this.liveVars.add(v);
    return s;
  }

  undefineVar(v: Var): void {
    this.liveVars.delete(v);
  }

  isLive(v: Var): boolean {
    return this.liveVars.has(v);
  }

  /** The slot of a variable that must be in scope. */
  useVar(v: Var): VarSlot {
    const s = this.varSlots.get(v);
    if (!s || !this.liveVars.has(v)) {
      throw this.error(
        s
          ? `variable ${v.name} is used outside the scope that defines it`
          : `variable ${v.name} is used but never defined (not a parameter, loop variable, block iter var, let binding or buffer shape variable)`,
      );
    }
    return s;
  }

  defineBuffer(b: Buffer): number {
    if (this.liveBufs.has(b)) throw this.error(`buffer ${b.name} is defined again while its earlier definition is still in scope`);
    let s = this.bufSlots.get(b);
    if (s === undefined) {
      s = this.objSlots++;
      this.bufSlots.set(b, s);
    }
    this.liveBufs.add(b);
    return s;
  }

  undefineBuffer(b: Buffer): void {
    this.liveBufs.delete(b);
  }

  isBufferLive(b: Buffer): boolean {
    return this.liveBufs.has(b);
  }

  /** The slot of the binding of a buffer that must be in scope. */
  useBuffer(b: Buffer): number {
    const s = this.bufSlots.get(b);
    if (s !== undefined && this.liveBufs.has(b)) return s;
    if (this.declaredBuffers.has(b) || s !== undefined) {
      throw this.error(`buffer ${b.name} is accessed outside the scope that defines it (its block, DeclBuffer or buffer_map)`);
    }
    throw this.error(
      `buffer ${b.name} is accessed but never defined: it is not in buffer_map, alloc_buffers, match_buffers or a DeclBuffer, and its data var ${b.data.name} is not allocated`,
    );
  }
}

/** A short infix rendering of an expression for error messages. */
export function describeExpr(e: PrimExpr): string {
  let s: string;
  try {
    s = String(e);
  } catch {
    s = "<";
  }
  return s.startsWith("<") || s.includes("\n") ? fallbackDescribe(e) : s;
}

const infix: Record<string, string> = {
  Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%", EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=", And: "and", Or: "or",
};
const calls: Record<string, string> = { FloorDiv: "floordiv", FloorMod: "floormod", Min: "min", Max: "max" };

function fallbackDescribe(e: PrimExpr): string {
  // Reads fields structurally so that this helper needs no imports of node classes.
  const x = e as unknown as Record<string, unknown> & { kind: string };
  const d = (y: unknown): string => fallbackDescribe(y as PrimExpr);
  switch (x.kind) {
    case "IntImm":
    case "FloatImm":
      return String(x["value"]);
    case "StringImm":
      return JSON.stringify(x["value"]);
    case "Var":
    case "SizeVar":
      return String(x["name"]);
    case "Cast":
      return `T.Cast("${e.dtype}", ${d(x["value"])})`;
    case "Not":
      return `not ${d(x["a"])}`;
    case "Select":
      return `T.Select(${d(x["condition"])}, ${d(x["trueValue"])}, ${d(x["falseValue"])})`;
    case "Ramp":
      return `T.Ramp(${d(x["base"])}, ${d(x["stride"])}, ${String(x["lanes"])})`;
    case "Broadcast":
      return `T.Broadcast(${d(x["value"])}, ${String(x["lanes"])})`;
    case "Let":
      return `T.Let(${d(x["variable"])}, ${d(x["value"])}, ${d(x["body"])})`;
    case "Call": {
      const op = x["op"] as { name: string; scriptName?: string };
      const args = (x["args"] as PrimExpr[]).map(d).join(", ");
      return `T.${op.scriptName ?? op.name}(${args})`;
    }
    case "BufferLoad": {
      const b = x["buffer"] as Buffer;
      return `${b.name}[${(x["indices"] as PrimExpr[]).map(d).join(", ")}]`;
    }
    default:
      if (infix[x.kind]) return `(${d(x["a"])} ${infix[x.kind]} ${d(x["b"])})`;
      if (calls[x.kind]) return `T.${calls[x.kind]}(${d(x["a"])}, ${d(x["b"])})`;
      return `<${x.kind}>`;
  }
}
