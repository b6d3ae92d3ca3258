/**
 * `buildC`: lowered IRModule -> C source -> shared library -> callable functions (koffi).
 *
 * Arrays are passed to C as pointers into their own memory (no copy) when their storage is the
 * C type (float32 -> Float32Array, int32 -> Int32Array, bool -> Uint8Array, float16 and
 * bfloat16 -> Float32Array of rounded values, ...). int64 / uint64
 * arrays kept as Float64Array (the interpreter's storage) are converted to BigInt64Array for
 * the call and written back afterwards.
 */
import koffi from "koffi";
import type { DataType } from "../../ir/dtype.js";
import { IntImm, Var } from "../../ir/expr.js";
import type { IRModule } from "../../ir/module.js";
import type { HostArray, TypedArray } from "../../tir/interp/host_array.js";
import { codegenC, type CFuncInfo, type CodegenOptions } from "./codegen_c.js";
import { compileC, type CompileOptions, type CompileResult } from "./compile.js";

export interface BuildCOptions extends CompileOptions, CodegenOptions {}

export type CArg = HostArray | number | bigint | boolean;

export class CArgumentError extends Error {
  override name = "CArgumentError";
}
export class CRuntimeError extends Error {
  override name = "CRuntimeError";
}

type Native = (...args: unknown[]) => unknown;

/** The typed array class C reads for a dtype, or undefined when it has no native storage here. */
export function nativeClass(t: DataType): (new (n: number) => TypedArray) | undefined {
  if (t.isBool()) return Uint8Array;
  // float16 / bfloat16: floats holding values rounded to the type, as NDArray keeps them.
  if (t.isFloat()) return t.bits === 32 || t.bits === 16 ? Float32Array : t.bits === 64 ? Float64Array : undefined;
  const signed = t.isInt();
  switch (t.bits) {
    case 8:
      return signed ? Int8Array : Uint8Array;
    case 16:
      return signed ? Int16Array : Uint16Array;
    case 32:
      return signed ? Int32Array : Uint32Array;
    case 64:
      return signed ? BigInt64Array : BigUint64Array;
    default:
      return undefined;
  }
}

export class CFunction {
  constructor(
    readonly info: CFuncInfo,
    private readonly fn: Native,
    private readonly lastError: () => string,
    private readonly clearError: () => void,
  ) {}

  /** Calls the function; returns its result (0 for functions that return nothing). */
  call(args: readonly CArg[]): number {
    const { info } = this;
    if (args.length !== info.params.length) {
      throw new CArgumentError(`${info.symbol}: expected ${info.params.length} argument(s), got ${args.length}`);
    }
    const cargs: unknown[] = [];
    const writeBacks: (() => void)[] = [];
    const arrays: (HostArray | undefined)[] = [];
    info.params.forEach((p, i) => {
      const a = args[i]!;
      if (p.buffer) {
        if (typeof a !== "object" || a === null || !("data" in a)) {
          throw new CArgumentError(`${info.symbol}: argument ${i} (${p.name}) must be an array of ${p.buffer.dtype}`);
        }
        const buf = p.buffer;
        if (a.dtype !== buf.dtype) {
          throw new CArgumentError(`${info.symbol}: argument ${i} (${p.name}) has dtype ${a.dtype}, expected ${buf.dtype}`);
        }
        if (a.shape.length !== buf.shape.length) {
          throw new CArgumentError(`${info.symbol}: argument ${i} (${p.name}) has ${a.shape.length} dimension(s), expected ${buf.shape.length}`);
        }
        buf.shape.forEach((s, d) => {
          if (s instanceof IntImm && s.value !== a.shape[d]) {
            throw new CArgumentError(
              `${info.symbol}: argument ${i} (${p.name}) has shape [${a.shape.join(", ")}], expected [${buf.shape.map(String).join(", ")}]`,
            );
          }
        });
        arrays.push(a);
        const C = nativeClass(buf.dtype);
        if (!C) throw new CArgumentError(`${info.symbol}: ${buf.dtype} arrays are not supported by the c target`);
        if (a.data instanceof C) cargs.push(a.data);
        else if (C === BigInt64Array || C === BigUint64Array) {
          const src = a.data;
          const tmp = new C(src.length) as BigInt64Array | BigUint64Array;
          for (let k = 0; k < src.length; k++) tmp[k] = BigInt(src[k] as number);
          cargs.push(tmp);
          writeBacks.push(() => {
            for (let k = 0; k < src.length; k++) (src as Float64Array)[k] = Number(tmp[k]);
          });
        } else {
          throw new CArgumentError(`${info.symbol}: argument ${i} (${p.name}) must keep its data in a ${C.name}, got ${a.data.constructor.name}`);
        }
      } else {
        arrays.push(undefined);
        if (typeof a === "object") throw new CArgumentError(`${info.symbol}: argument ${i} (${p.name}) must be a ${p.dtype} scalar`);
        cargs.push(typeof a === "boolean" ? (a ? 1 : 0) : a);
      }
    });
    // Symbolic shape variables: bound from the arrays, then checked against every buffer.
    const env = new Map<Var, number>();
    for (const iv of info.implicitVars) {
      const { param, field, dim } = iv.source;
      const arr = arrays[param]!;
      let v = 0;
      if (field === "shape" && dim >= 0) v = arr.shape[dim]!;
      else if (field === "strides" && dim >= 0) v = arr.shape.slice(dim + 1).reduce((x, y) => x * y, 1);
      else if (field === "elem_offset") v = 0;
      else throw new CArgumentError(`${info.symbol}: cannot bind ${iv.var.name}: it only appears inside an expression in the shape of ${info.params[param]!.name}`);
      env.set(iv.var, v);
      cargs.push(iv.var.dtype.bits === 64 ? BigInt(v) : v);
    }
    info.params.forEach((p, i) => {
      if (!p.buffer) return;
      const a = arrays[i]!;
      p.buffer.shape.forEach((s, d) => {
        if (s instanceof Var && env.has(s) && env.get(s) !== a.shape[d]) {
          throw new CArgumentError(
            `${info.symbol}: argument ${i} (${p.name}) has shape [${a.shape.join(", ")}], but ${s.name} = ${env.get(s)} from an earlier argument`,
          );
        }
      });
    });
    return this.callNative(cargs, writeBacks);
  }

  /** Calls with arguments already in native form (typed arrays, numbers); runs `writeBacks` after. */
  callNative(cargs: unknown[], writeBacks: readonly (() => void)[] = []): number {
    this.clearError();
    const r = this.fn(...cargs);
    for (const w of writeBacks) w();
    const rv = typeof r === "bigint" ? Number(r) : (r as number);
    if (this.info.retType === "int32_t" && rv === -1 && this.lastError() !== "") {
      throw new CRuntimeError(`${this.info.symbol}: ${this.lastError()}`);
    }
    return rv;
  }
}

export class CModule {
  readonly funcs = new Map<string, CFunction>();
  private readonly lib: koffi.IKoffiLib;
  readonly setNumThreads: (n: number) => number;
  private readonly wsAllocs: () => number | bigint;

  constructor(
    readonly source: string,
    readonly artifact: CompileResult,
    infos: Map<string, CFuncInfo>,
  ) {
    this.lib = koffi.load(artifact.soPath);
    const lastError = this.lib.func("const char *weft_last_error(void)") as () => string;
    const clearError = this.lib.func("void weft_clear_error(void)") as () => void;
    this.setNumThreads = this.lib.func("int32_t weft_set_num_threads(int32_t n)") as (n: number) => number;
    this.wsAllocs = this.lib.func("uint64_t weft_workspace_allocs(void)") as () => number | bigint;
    for (const [name, info] of infos) {
      const fn = this.lib.func(info.prototype) as Native;
      this.funcs.set(name, new CFunction(info, fn, lastError, clearError));
    }
  }

  /**
   * How many times this library has (re)allocated workspace memory (heap-sized temporaries
   * kept across calls): constant over repeated calls with the same shapes.
   */
  workspaceAllocs(): number {
    return Number(this.wsAllocs());
  }

  get(name: string): CFunction {
    const f = this.funcs.get(name);
    if (!f) throw new Error(`c module has no function "${name}" (it has: ${[...this.funcs.keys()].join(", ") || "none"})`);
    return f;
  }

  call(name: string, args: readonly CArg[]): number {
    return this.get(name).call(args);
  }
}

/** Generates C for a lowered module, compiles it (through the cache) and loads it. */
export function buildC(mod: IRModule, opts: BuildCOptions = {}): CModule {
  const { code, funcs } = codegenC(mod, opts);
  const artifact = compileC(code, opts);
  return new CModule(code, artifact, funcs);
}

