/**
 * The `wasm` target's renderer: lowered PrimFuncs (no blocks; flat buffers; Allocate /
 * DeclBuffer; For, While, IfThenElse, LetStmt, AssertStmt; Ramp / Broadcast vectors) become
 * one binaryen module with one exported function per PrimFunc.
 *
 * Calling convention of an export: `(sp: i32, <one value per parameter>, <one per extra shape
 * symbol>) -> result?`. A buffer parameter is the i32 byte address of its data in the imported
 * linear memory; a scalar is passed in its representation (below); `sp` is the first free
 * 64-byte-aligned byte, where dynamically sized temporaries go (the kernel grows the memory when
 * they do not fit). Constant-size temporaries live in a static region reserved at build time
 * (`staticBase` .. `staticEnd`) and are reused by every call, as the js target does.
 *
 * Values (one lane) are kept in one of three wasm types, chosen by dtype:
 * - i32: bool, int8/16/32, uint8/16/32 (narrow types kept normalized: sign-extended / masked);
 * - f32: float32;
 * - f64: float64, and the dtypes wasm has no arithmetic for (int64 / uint64 / float16 /
 *   bfloat16), which hold the interpreter's own numbers and compute through the interpreter's
 *   per-dtype functions, imported from JavaScript (exact, slow; index math is int32).
 * Memory holds each dtype in the NDArray / interpreter storage class (int64 as float64 numbers,
 * float16 as float32 values, bool as bytes), so NDArrays are copied byte for byte.
 *
 * Semantics follow the interpreter bit for bit: int32 wraps, floor division / modulo round
 * toward minus infinity, float32 arithmetic is done in f32 (correctly rounded, like
 * Math.fround of the double result), min/max are `a < b ? a : b`, float -> int casts truncate
 * and wrap like `x | 0` (NaN / inf give 0). float32 exp / log / log2 / log10 / tanh / sigmoid /
 * erf run in wasm itself (wasm_math.ts, within 3 ulp); other transcendental functions and other
 * dtypes call JavaScript's Math (or the interpreter's functions) in double precision and round to
 * the dtype (src/target/kernel_imports.ts). Division by zero gives
 * 0 instead of trapping. Vector expressions on float32 / int32 whose lanes are a multiple of 4 use
 * SIMD128 (f32x4 / i32x4, v128 loads and stores for unit-stride ramps), chunk by chunk; every
 * other vector shape is expanded lane by lane. With a shared memory, parallel loops run on worker
 * threads (wasm_parallel.ts); every other loop kind runs serially.
 */
import binaryen from "binaryen";
import type { DataType } from "../../ir/dtype.js";
import type { Call, Var } from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import type { PrimFunc } from "../../tir/function.js";
import type { BufferStore, Evaluate, IfThenElse, LetStmt, SeqStmt, Stmt } from "../../tir/stmt.js";
import { WasmCodegenError, reprOf, wasmType } from "./wasm_types.js";
import type { WasmFunctionInfo, WasmModuleArtifact } from "./wasm_runtime.js";
import { ModuleBuilder } from "./wasm_helpers.js";
import { shortName } from "./wasm_expr.js";
import { ParallelCodegen, finishParallel } from "./wasm_parallel.js";
import { relaxedSimdEnabled } from "./wasm_features.js";

export { WASM_ALIGN, WASM_GUARD_BYTES, WasmCodegenError, reprOf, storageBytes, type Repr } from "./wasm_types.js";

export type { WasmFunctionInfo, WasmModuleArtifact } from "./wasm_runtime.js";

export interface WasmCodegenInput {
  readonly func: PrimFunc;
  readonly name: string;
  /** Symbol slot of every variable the signature binds (primFuncSignature's symbolOf). */
  readonly symbolOf: ReadonlyMap<Var, number>;
}

export interface WasmCodegenOptions {
  shared?: boolean;
  maxPages?: number;
  /** binaryen optimize level (default 3); 0 skips optimization. */
  optimizeLevel?: number;
  /** Keep the text form of the optimized module (for debugging / tests). */
  emitText?: boolean;
  /** Use SIMD128 for float32 / int32 vectors (default true). */
  simd?: boolean;
  /** Outline parallel loops for worker threads (default true; needs a shared memory). */
  parallel?: boolean;
  /** Micro-kernels may use relaxed SIMD (default: relaxedSimdEnabled(), wasm_features.ts). */
  relaxedSimd?: boolean;
}

/** One PrimFunc as one exported wasm function. */
class FunctionCodegen extends ParallelCodegen {
  private readonly written = new Set<Var>();
  private resultDtype: DataType | undefined;
  /** A handle is re-bound by a LetStmt: stores may go through it, so every buffer counts as written. */
  private handleLets = false;

  // ---- function ----------------------------------------------------------------------------

  generate(exportName: string): WasmFunctionInfo {
    const f = this.func;
    const m = this.m;
    this.newLocal(binaryen.i32); // sp
    const params: WasmFunctionInfo["params"][number][] = [];
    for (const p of f.params) {
      const b = f.bufferMap.get(p);
      if (b) {
        const i = this.newLocal(binaryen.i32);
        this.bufAddr.set(b.data, i);
        this.bufAddr.set(p, i);
        params.push({ kind: "buffer", dtype: b.dtype, written: false });
        continue;
      }
      const r = reprOf(p.dtype);
      this.names.set(p, { kind: "local", index: this.newLocal(wasmType(r)), repr: r });
      params.push({ kind: "scalar", dtype: p.dtype });
    }
    const symParams: { sym: number; dtype: DataType }[] = [];
    for (const [v, k] of this.symbolOf) {
      if (this.names.has(v)) continue;
      const r = reprOf(v.dtype);
      this.names.set(v, { kind: "local", index: this.newLocal(wasmType(r)), repr: r });
      symParams.push({ sym: k, dtype: v.dtype });
    }
    const nparams = this.localTypes.length;
    // Buffers with a variable elem_offset: bind it to 0 (compact arguments).
    for (const p of f.params) {
      const b = f.bufferMap.get(p);
      if (b && b.elemOffset.kind === "Var" && !this.names.has(b.elemOffset as Var)) {
        this.names.set(b.elemOffset as Var, { kind: "local", index: this.newLocal(binaryen.i32), repr: "i32" });
      }
    }
    this.scanReturn(f.body);
    const body = this.stmt(f.body);
    const resultType = this.resultDtype ? wasmType(reprOf(this.resultDtype)) : binaryen.none;
    const full = this.resultDtype ? m.block(null, [body, m.unreachable()], resultType) : body;
    m.addFunction(exportName, binaryen.createType(this.localTypes.slice(0, nparams)), resultType, this.localTypes.slice(nparams), full);
    m.addFunctionExport(exportName, exportName);
    f.params.forEach((p, i) => {
      const b = f.bufferMap.get(p);
      if (b) params[i] = { kind: "buffer", dtype: b.dtype, written: this.handleLets || this.written.has(b.data) };
    });
    return { name: this.fname, exportName, params, symParams, ...(this.resultDtype ? { result: this.resultDtype } : {}) };
  }

  private scanReturn(s: Stmt): void {
    const visit = (x: Stmt | undefined): void => {
      if (!x) return;
      switch (x.kind) {
        case "SeqStmt": for (const y of (x as SeqStmt).seq) visit(y); return;
        case "Evaluate": {
          const v = (x as Evaluate).value;
          if (v.kind === "Call" && (v as Call).op.kind === "Op" && shortName((v as Call).op as Op) === "ret") {
            this.resultDtype ??= (v as Call).args[0]!.dtype;
          }
          // An extern micro-kernel (wasm_ukernel.ts) may write through any buffer it is passed.
          if (v.kind === "Call") for (const a of (v as Call).args) if (a.kind === "Var" && a.dtype.isHandle()) this.written.add(a as Var);
          return;
        }
        case "BufferStore": this.written.add((x as BufferStore).buffer.data); return;
        case "LetStmt":
          if ((x as LetStmt).variable.dtype.isHandle()) this.handleLets = true;
          visit((x as LetStmt).body); return;
        case "For": case "While": case "AttrStmt": case "AssertStmt": case "Allocate": case "DeclBuffer":
          visit((x as unknown as { body: Stmt }).body); return;
        case "IfThenElse": visit((x as IfThenElse).thenCase); visit((x as IfThenElse).elseCase); return;
        default: return;
      }
    };
    visit(s);
  }
}

/** Renders lowered PrimFuncs into one optimized, validated wasm binary. */
export function generateWasm(funcs: readonly WasmCodegenInput[], opts: WasmCodegenOptions = {}): WasmModuleArtifact {
  const mb = new ModuleBuilder();
  const m = mb.m;
  const shared = opts.shared ?? false;
  const maxPages = opts.maxPages ?? 32768;
  try {
    let features = binaryen.Features.MVP | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt |
      binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.MutableGlobals;
    if (shared) features |= binaryen.Features.Atomics;
    m.setFeatures(features);
    m.setMemory(1, maxPages, null, [], shared, false, "0");
    m.addMemoryImport("0", "env", "memory", shared);
    mb.parallel = shared && (opts.parallel ?? true);
    mb.relaxedSimd = opts.relaxedSimd ?? relaxedSimdEnabled();
    const infos: WasmFunctionInfo[] = [];
    funcs.forEach((f, i) => {
      const g = new FunctionCodegen(mb, f.func, f.name, f.symbolOf, opts.simd ?? true);
      infos.push(g.generate(`f${i}_${f.name.replace(/[^A-Za-z0-9_]/g, "_")}`));
    });
    finishParallel(mb);
    if (!m.validate()) throw new WasmCodegenError(`wasm codegen: binaryen rejected the module:\n${m.emitText().slice(0, 4000)}`);
    const level = opts.optimizeLevel ?? 3;
    if (level > 0) {
      const prevO = binaryen.getOptimizeLevel(), prevS = binaryen.getShrinkLevel();
      binaryen.setOptimizeLevel(level);
      binaryen.setShrinkLevel(0);
      try {
        m.optimize();
      } finally {
        binaryen.setOptimizeLevel(prevO);
        binaryen.setShrinkLevel(prevS);
      }
      if (!m.validate()) throw new WasmCodegenError("wasm codegen: the optimized module does not validate");
    }
    const binary = m.emitBinary();
    return {
      binary, functions: infos, imports: mb.imports, importRecipes: mb.importRecipes, messages: mb.messages, staticEnd: mb.staticEnd, shared, maxPages,
      relaxedSimd: mb.usesRelaxedSimd,
      ...(mb.ctl !== undefined ? { ctl: mb.ctl } : {}),
      ...(opts.emitText ? { text: m.emitText() } : {}),
    };
  } finally {
    m.dispose();
  }
}
