/**
 * Runtime modules: what `build` returns. A Module maps function names to PackedFuncs (called
 * with NDArrays / HostArrays and numbers); every target shares the argument checking here.
 *
 * The runtime does not know PrimFuncs (it imports only src/ir): a target describes each
 * function's parameters as a `FuncSignature` (dtype, rank, shape with constant and symbolic
 * dimensions, expected storage class), and `ArgChecker` checks a call against it. All the
 * work that does not depend on the arguments is done once, when the checker is made; a call
 * allocates nothing (symbol values go into a preallocated Float64Array that the kernel reads).
 */
import type { DataType } from "../ir/dtype.js";
import type { DimExpr } from "./signature_json.js";

/** One dimension (or stride / offset) of a buffer parameter. */
export type DimSpec =
  | { readonly kind: "const"; readonly value: number }
  /** A symbolic variable: the first argument that shows it binds it, later ones must agree. */
  | { readonly kind: "sym"; readonly sym: number }
  /** Any other expression of the symbols, checked once every symbol is bound. */
  | {
      readonly kind: "expr";
      readonly text: string;
      readonly eval: (syms: Float64Array) => number;
      /** The expression as data (signature_json.ts), so that the signature can be saved. */
      readonly expr?: DimExpr;
    };

export interface BufferParamSpec {
  readonly kind: "buffer";
  /** The name used in error messages (the buffer's name, as users know it). */
  readonly name: string;
  readonly dtype: DataType;
  readonly shape: readonly DimSpec[];
  /** Strides in elements, when the buffer declares them; otherwise the array must be compact. */
  readonly strides?: readonly DimSpec[];
  /** The typed array class the kernel computes on (e.g. Float32Array); any when absent. */
  readonly storage?: { readonly name: string; readonly prototype: object };
}

export interface ScalarParamSpec {
  readonly kind: "scalar";
  readonly name: string;
  readonly dtype: DataType;
  /** The symbol this scalar defines (a shape may use it), if any. */
  readonly sym?: number;
}

export type ParamSpec = BufferParamSpec | ScalarParamSpec;

export interface FuncSignature {
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** Names of the symbolic variables, by index. */
  readonly symbols: readonly string[];
}

/** An argument as a call receives it. */
export interface ArrayArg {
  readonly dtype: DataType;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number | bigint> & { readonly length: number };
  readonly strides?: readonly number[];
}
export type ArgValue = ArrayArg | number | boolean;

export type PackedFunc = (...args: ArgValue[]) => number | undefined | void;

export class ArgumentError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = "ArgumentError";
  }
}

function dimText(d: DimSpec, symbols: readonly string[]): string {
  return d.kind === "const" ? String(d.value) : d.kind === "sym" ? symbols[d.sym]! : d.text;
}

function describe(a: unknown): string {
  if (typeof a === "number") return `the number ${a}`;
  if (typeof a === "boolean") return `the boolean ${a}`;
  if (a === null || a === undefined) return String(a);
  if (isArrayArg(a)) return `a ${a.dtype} array of shape (${a.shape.join(", ")})`;
  return `a ${typeof a}`;
}

function isArrayArg(a: unknown): a is ArrayArg {
  return typeof a === "object" && a !== null && Array.isArray((a as ArrayArg).shape) && ArrayBuffer.isView((a as ArrayArg).data);
}

interface BufferPlan {
  readonly index: number;
  readonly spec: BufferParamSpec;
  readonly shapeText: string;
  readonly expect: string;
  readonly ndim: number;
}

/**
 * Checks calls of one function: argument count, array-ness, dtype, rank, shape (constant,
 * symbolic, expression), strides, storage class and data length; scalar types and ranges.
 * `check` fills `syms` with the symbol values (shape variables and scalar symbols).
 */
export class ArgChecker {
  readonly syms: Float64Array;
  private readonly bound: Uint8Array;
  private readonly boundBy: string[];
  private readonly plans: (BufferPlan | undefined)[];
  private readonly exprChecks: { param: number; dim: number; what: "shape" | "stride"; spec: DimSpec & { kind: "expr" } }[] = [];
  private readonly nparams: number;
  private readonly paramList: string;

  constructor(readonly sig: FuncSignature) {
    this.syms = new Float64Array(sig.symbols.length);
    this.bound = new Uint8Array(sig.symbols.length);
    this.boundBy = new Array<string>(sig.symbols.length).fill("");
    this.nparams = sig.params.length;
    this.paramList = sig.params.map((p) => p.name).join(", ");
    this.plans = sig.params.map((p, index) => {
      if (p.kind !== "buffer") return undefined;
      const shapeText = `(${p.shape.map((d) => dimText(d, sig.symbols)).join(", ")})`;
      p.shape.forEach((d, dim) => {
        if (d.kind === "expr") this.exprChecks.push({ param: index, dim, what: "shape", spec: d });
      });
      p.strides?.forEach((d, dim) => {
        if (d.kind === "expr") this.exprChecks.push({ param: index, dim, what: "stride", spec: d });
      });
      return { index, spec: p, shapeText, expect: `a ${p.dtype} array of shape ${shapeText}`, ndim: p.shape.length };
    });
  }

  private fail(param: string | undefined, msg: string): never {
    throw new ArgumentError(param === undefined ? `${this.sig.name}: ${msg}` : `${this.sig.name}: argument ${param}: ${msg}`);
  }

  private bindDim(d: DimSpec, actual: number, plan: BufferPlan, what: string, args: ArrayLike<unknown>): void {
    if (d.kind === "const") {
      if (actual !== d.value) this.mismatch(plan, what, args);
    } else if (d.kind === "sym") {
      if (this.bound[d.sym]) {
        if (this.syms[d.sym] !== actual) this.mismatch(plan, what, args, d.sym);
      } else {
        this.bound[d.sym] = 1;
        this.syms[d.sym] = actual;
        this.boundBy[d.sym] = plan.spec.name;
      }
    }
  }

  private mismatch(plan: BufferPlan, what: string, args: ArrayLike<unknown>, sym?: number): never {
    const a = args[plan.index] as ArrayArg;
    const symbols = this.sig.symbols;
    if (what === "shape") {
      let note = "";
      if (sym !== undefined) note = ` (${symbols[sym]} = ${this.syms[sym]} from ${this.boundBy[sym]})`;
      this.fail(plan.spec.name, `expected shape ${plan.shapeText}${note}, got (${a.shape.join(", ")})`);
    }
    const st = plan.spec.strides!.map((d) => dimText(d, symbols)).join(", ");
    this.fail(plan.spec.name, `expected strides (${st}), got (${(a.strides ?? []).join(", ")})`);
  }

  /** Checks a call's arguments; on success `this.syms` holds the symbol values. */
  check(args: ArrayLike<unknown>): void {
    if (args.length !== this.nparams) {
      this.fail(undefined, `expected ${this.nparams} argument(s) (${this.paramList}), got ${args.length}`);
    }
    this.bound.fill(0);
    const params = this.sig.params;
    // Scalars first, so that a shape written with a scalar parameter is checked against it.
    for (let i = 0; i < this.nparams; i++) {
      const p = params[i]!;
      if (p.kind !== "scalar") continue;
      const v = checkScalar(this, p, args[i]);
      if (p.sym !== undefined) {
        this.bound[p.sym] = 1;
        this.syms[p.sym] = v;
        this.boundBy[p.sym] = p.name;
      }
    }
    for (let i = 0; i < this.nparams; i++) {
      const plan = this.plans[i];
      if (!plan) continue;
      const a = args[i];
      const spec = plan.spec;
      if (!isArrayArg(a)) this.fail(spec.name, `expected ${plan.expect}, got ${describe(a)}`);
      if (a.dtype !== spec.dtype) this.fail(spec.name, `expected dtype ${spec.dtype}, got ${a.dtype}`);
      const shape = a.shape;
      if (shape.length !== plan.ndim) {
        this.fail(spec.name, `expected ${plan.ndim} dimension(s), shape ${plan.shapeText}, got ${shape.length}: (${shape.join(", ")})`);
      }
      let n = spec.dtype.lanes;
      for (let d = 0; d < plan.ndim; d++) {
        const actual = shape[d]!;
        n *= actual;
        this.bindDim(spec.shape[d]!, actual, plan, "shape", args);
      }
      const st = a.strides;
      if (spec.strides && spec.strides.length) {
        let acc = 1;
        for (let d = plan.ndim - 1; d >= 0; d--) {
          const actual = st ? st[d]! : acc;
          this.bindDim(spec.strides[d]!, actual, plan, "stride", args);
          acc *= shape[d]!;
        }
      } else if (st) {
        let acc = 1;
        for (let d = plan.ndim - 1; d >= 0; d--) {
          if (shape[d] !== 1 && st[d] !== acc) {
            this.fail(spec.name, `expected a contiguous row-major array, got strides (${st.join(", ")}) for shape (${shape.join(", ")})`);
          }
          acc *= shape[d]!;
        }
      }
      if (spec.storage && !(a.data instanceof (spec.storage as unknown as new () => object))) {
        const got = (a.data as object).constructor.name;
        this.fail(spec.name, `a ${spec.dtype} array must keep its data in a ${spec.storage.name}, got a ${got} (NDArray.fromArray / NDArray.empty make the right kind)`);
      }
      if (a.data.length < n) {
        this.fail(spec.name, `an array of shape (${shape.join(", ")}) needs ${n} elements, its data has ${a.data.length}`);
      }
    }
    for (let k = 0; k < this.exprChecks.length; k++) {
      const c = this.exprChecks[k]!;
      const want = c.spec.eval(this.syms);
      const a = args[c.param] as ArrayArg;
      const plan = this.plans[c.param]!;
      const actual = c.what === "shape" ? a.shape[c.dim]! : (a.strides ?? rowMajor(a.shape))[c.dim]!;
      if (actual !== want) this.mismatch(plan, c.what, args);
    }
  }
}

function rowMajor(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

const int32Min = -(2 ** 31), int32Max = 2 ** 31 - 1;

function checkScalar(c: ArgChecker, p: ScalarParamSpec, a: unknown): number {
  const t = p.dtype;
  const v = typeof a === "boolean" ? (a ? 1 : 0) : a;
  const fail = (msg: string): never => {
    throw new ArgumentError(`${c.sig.name}: argument ${p.name}: ${msg}`);
  };
  if (typeof v !== "number") return fail(`expected a ${t} number, got ${describe(a)}`);
  if (t.isFloat()) return v;
  if (t.isBool()) {
    if (v !== 0 && v !== 1) fail(`expected 0, 1, true or false (bool), got ${v}`);
    return v;
  }
  if (!Number.isInteger(v)) fail(`expected an integer (${t}), got ${v}`);
  let lo: number, hi: number;
  if (t.bits === 32 && t.isInt()) [lo, hi] = [int32Min, int32Max];
  else if (t.bits >= 53) [lo, hi] = t.isInt() ? [-(2 ** 63), 2 ** 63] : [0, 2 ** 64];
  else [lo, hi] = t.isInt() ? [-(2 ** (t.bits - 1)), 2 ** (t.bits - 1) - 1] : [0, 2 ** t.bits - 1];
  if (v < lo || v > hi) fail(`${v} does not fit in ${t}`);
  return v;
}

export interface TimeEvaluatorOptions {
  /** Calls per repeat; each repeat's time is its total divided by `number`. */
  number?: number;
  /** Timed repeats. */
  repeat?: number;
  /**
   * Minimum duration of one repeat in ms: when a repeat is shorter, `number` grows (as in
   * TVM's time_evaluator) until a repeat lasts at least this long. 0 disables it.
   */
  minRepeatMs?: number;
  /** Untimed calls before the first repeat (default 1). */
  warmup?: number;
}

export interface TimeResult {
  /** Milliseconds per call, one entry per repeat. */
  readonly times: number[];
  readonly median: number;
  readonly mean: number;
  /** The `number` the repeats were measured with (after minRepeatMs adjustments). */
  readonly number: number;
}

const now: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function" ? () => performance.now() : () => Date.now();

/** Wraps a function into a timer with TVM's time_evaluator protocol. */
export function makeTimeEvaluator(fn: PackedFunc, opts: TimeEvaluatorOptions = {}): (...args: ArgValue[]) => TimeResult {
  const repeat = opts.repeat ?? 3;
  const minRepeatMs = opts.minRepeatMs ?? 0;
  const warmup = opts.warmup ?? 1;
  let number = opts.number ?? 1;
  if (!(Number.isInteger(number) && number >= 1)) throw new RangeError(`timeEvaluator: number must be a positive integer, got ${number}`);
  if (!(Number.isInteger(repeat) && repeat >= 1)) throw new RangeError(`timeEvaluator: repeat must be a positive integer, got ${repeat}`);
  return (...args) => {
    for (let i = 0; i < warmup; i++) fn(...args);
    const times: number[] = [];
    for (let r = 0; r < repeat; r++) {
      let elapsed: number;
      for (;;) {
        const t0 = now();
        for (let i = 0; i < number; i++) fn(...args);
        elapsed = now() - t0;
        if (elapsed >= minRepeatMs || minRepeatMs <= 0) break;
        // Grow toward the target (at most 10x per step, at least 2x).
        const scale = elapsed > 0 ? Math.min(10, Math.max(2, (minRepeatMs * 1.2) / elapsed)) : 10;
        number = Math.ceil(number * scale);
      }
      times.push(elapsed / number);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    return { times, median, mean, number };
  };
}

/** What build returns. */
/**
 * Memory a module's functions read and write in place (wasm's linear memory). A VM whose
 * kernels come from such a module allocates its tensors there, so kernel calls pass them
 * without copies. Allocation is a stack: `release(mark)` frees everything allocated after
 * `mark()`. Regions stay valid (and their views usable) across growth of the memory.
 */
export interface DeviceMemory {
  /** A 64-byte-aligned region of `bytes` bytes (contents unspecified). */
  alloc(bytes: number): { buffer: ArrayBufferLike; byteOffset: number };
  mark(): number;
  release(mark: number): void;
  /** Whether `data` is a view of this memory. */
  holds(data: ArrayLike<unknown>): boolean;
}

export interface Module {
  /** The target string the module was built for. */
  readonly target: string;
  /** The memory its functions use in place, when arrays placed there need no copies. */
  deviceMemory?(): DeviceMemory | undefined;
  /** The callable named `name` (throws, listing the names, when there is none). */
  get(name: string): PackedFunc;
  functionNames(): string[];
  /** A timer for function `name`: call it with the function's arguments. */
  timeEvaluator(name: string, opts?: TimeEvaluatorOptions): (...args: ArgValue[]) => TimeResult;
  /** Generated source of a function, for targets that have one. */
  getSource?(name?: string): string;
  /**
   * The compiled code as a kernel artifact an Executable can carry and a registered kernel
   * loader (src/runtime/vm/kernel_loader.ts) can turn back into a module without the compiler;
   * undefined where the target has no such form.
   */
  exportArtifact?(): Promise<ModuleArtifact | undefined>;
}

/** What `Module.exportArtifact` gives: the loader is chosen by `format`. */
export interface ModuleArtifact {
  readonly format: string;
  readonly data: string | Uint8Array;
}

/** A module made of ready PackedFuncs: targets build the functions and hand them over. */
export class FunctionModule implements Module {
  /** Subclasses that compile lazily (wasm) add their functions here after construction. */
  protected readonly funcs: Map<string, PackedFunc>;
  constructor(
    readonly target: string,
    funcs: Iterable<readonly [string, PackedFunc]>,
    private readonly sources: ReadonlyMap<string, string> = new Map(),
  ) {
    this.funcs = new Map(funcs);
  }
  get(name: string): PackedFunc {
    const f = this.funcs.get(name);
    if (!f) throw new Error(`module (${this.target}) has no function "${name}" (it has: ${[...this.funcs.keys()].join(", ") || "none"})`);
    return f;
  }
  functionNames(): string[] {
    return [...this.funcs.keys()];
  }
  timeEvaluator(name: string, opts?: TimeEvaluatorOptions): (...args: ArgValue[]) => TimeResult {
    return makeTimeEvaluator(this.get(name), opts);
  }
  getSource(name?: string): string {
    if (name !== undefined) {
      const s = this.sources.get(name);
      if (s === undefined) throw new Error(`module (${this.target}) has no source for "${name}"`);
      return s;
    }
    return [...this.sources.values()].join("\n\n");
  }
}
