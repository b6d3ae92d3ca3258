/**
 * The fp32 register-tiled micro-kernel of the wasm target, the definition of
 * `T.call_extern("int32", "weft_ukernel_fma_f32_<M>x<N>", C, c_off, ldc, A, a_off, lda, B, b_off, ldb, K)`
 * (the contract of src/schedule/intrinsics/cpu.ts): C[M, N] += A[M, K] * B[K, N] on row-major
 * tiles with row strides (elements).
 *
 * Emitted directly with binaryen as one module function per (M, N, constant arguments): the
 * M x N tile of C is held in M * N / 4 v128 locals (V8 maps them to xmm registers) for the whole
 * K loop; per k, the N / 4 vectors of B's row are loaded once and each A value is splatted
 * (`v128.load32_splat`), then one `f32x4.relaxed_madd` (when relaxed SIMD is enabled,
 * wasm_features.ts) or `f32x4.mul` + `f32x4.add` per accumulator. Strides and K known at compile
 * time become load offsets (one moving pointer per operand); unknown ones are passed at run
 * time. N not a multiple of 4 (or SIMD off) keeps the tile in f32 locals.
 *
 * Without relaxed SIMD each update rounds the product and the sum separately, in k order, as
 * the interpreter does, so the result is bit-equal to an unscheduled matmul.
 */
import binaryen from "binaryen";
import type { Call, IntImm, PrimExpr, StringImm } from "../../ir/expr.js";
import type { Ref } from "./wasm_types.js";
import type { ModuleBuilder } from "./wasm_helpers.js";

const FMA_RE = /^weft_ukernel_fma_f32_(\d+)x(\d+)$/;

/** The tile of a `weft_ukernel_fma_f32_<M>x<N>` name, undefined for other names. */
export function parseFmaUkernel(name: string): { M: number; N: number } | undefined {
  const m = FMA_RE.exec(name);
  if (!m) return undefined;
  const M = Number(m[1]), N = Number(m[2]);
  return M >= 1 && N >= 1 ? { M, N } : undefined;
}

export interface FmaUkernelSpec {
  M: number;
  N: number;
  /** Row strides of C, A, B (elements) and the depth K; undefined: passed at run time. */
  ldc?: number;
  lda?: number;
  ldb?: number;
  K?: number;
  /** f32x4 vectors (false: one f32 local per element of the tile). */
  simd: boolean;
  /** f32x4.relaxed_madd instead of mul + add (needs simd). */
  relaxed: boolean;
}

/** Largest tile kept in locals: beyond it the engine spills most of the tile anyway. */
const MAX_TILE = 256;

/** Functions already added, per module. */
const added = new WeakMap<ModuleBuilder, Set<string>>();

type RelaxedApi = { _BinaryenSIMDTernary(m: number, op: number, a: Ref, b: Ref, c: Ref): Ref; RelaxedMaddVecF32x4: number };

/**
 * The module function computing the micro-kernel of `spec` (added on first use):
 * `(c, a, b, ldc, lda, ldb, K: i32) -> ()`, c / a / b the byte addresses of the tiles' first
 * elements; arguments the spec fixes are ignored.
 */
export function fmaUkernelFunction(mb: ModuleBuilder, spec: FmaUkernelSpec): string {
  const { M, N } = spec;
  if (M * N > MAX_TILE) {
    throw new Error(`wasm micro-kernel weft_ukernel_fma_f32_${M}x${N}: a tile of ${M * N} floats is more than ${MAX_TILE}; use a smaller tile or the TIR flavour of the intrinsic (without _extern)`);
  }
  const vec = spec.simd && N % 4 === 0;
  const relaxed = vec && spec.relaxed;
  const d = (x: number | undefined): string => (x === undefined ? "d" : String(x));
  const name = `__uk_fma_f32_${M}x${N}_c${d(spec.ldc)}_a${d(spec.lda)}_b${d(spec.ldb)}_k${d(spec.K)}${vec ? (relaxed ? "_rx" : "_v") : "_s"}`;
  let done = added.get(mb);
  if (!done) added.set(mb, (done = new Set()));
  if (done.has(name)) return name;
  done.add(name);

  const m = mb.m;
  if (relaxed) {
    m.setFeatures(m.getFeatures() | binaryen.Features.RelaxedSIMD);
    mb.usesRelaxedSimd = true;
  }
  const i32 = binaryen.i32;
  const T = vec ? binaryen.v128 : binaryen.f32;
  const W = vec ? 4 : 1; // floats per accumulator
  const cols = N / W;
  const P = { c: 0, a: 1, b: 2, ldc: 3, lda: 4, ldb: 5, K: 6 } as const;
  const types: binaryen.Type[] = [];
  const local = (t: binaryen.Type): number => 7 + types.push(t) - 1;
  const get = (i: number, t: binaryen.Type = i32): Ref => m.local.get(i, t);
  const c = (v: number): Ref => m.i32.const(v);

  // Row offsets (bytes) of A and C: immediates when the stride is known, locals otherwise.
  const rowOffsets = (ld: number | undefined, param: number, rows: number): { imm: number[]; loc: (number | undefined)[]; init: Ref[] } => {
    const imm: number[] = [], loc: (number | undefined)[] = [], init: Ref[] = [];
    for (let i = 0; i < rows; i++) {
      if (ld !== undefined || i === 0) {
        imm.push(ld === undefined ? 0 : i * ld * 4);
        loc.push(undefined);
      } else {
        const l = local(i32);
        init.push(m.local.set(l, m.i32.mul(get(param), c(i * 4))));
        imm.push(0);
        loc.push(l);
      }
    }
    return { imm, loc, init };
  };
  const addr = (ptr: Ref, row: { imm: number[]; loc: (number | undefined)[] }, i: number): [Ref, number] => {
    const l = row.loc[i];
    return [l === undefined ? ptr : m.i32.add(ptr, get(l)), row.imm[i]!];
  };
  const aRows = rowOffsets(spec.lda, P.lda, M);
  const cRows = rowOffsets(spec.ldc, P.ldc, M);

  const load = (ptr: Ref, off: number): Ref => (vec ? m.v128.load(off, 4, ptr) : m.f32.load(off, 4, ptr));
  const store = (ptr: Ref, off: number, v: Ref): Ref => (vec ? m.v128.store(off, 4, ptr, v) : m.f32.store(off, 4, ptr, v));
  const splat = (ptr: Ref, off: number): Ref => (vec ? m.v128.load32_splat(off, 4, ptr) : m.f32.load(off, 4, ptr));
  const madd = (a: Ref, b: Ref, acc: Ref): Ref => {
    if (relaxed) {
      const api = binaryen as unknown as RelaxedApi;
      return api._BinaryenSIMDTernary(m.ptr, api.RelaxedMaddVecF32x4, a, b, acc);
    }
    return vec ? m.f32x4.add(acc, m.f32x4.mul(a, b)) : m.f32.add(acc, m.f32.mul(a, b));
  };

  const acc = Array.from({ length: M }, () => Array.from({ length: cols }, () => local(T)));
  const bv = Array.from({ length: cols }, () => local(T));
  const av = local(T);
  const pa = local(i32), pb = local(i32), aEnd = local(i32), bStep = local(i32);

  const body: Ref[] = [...aRows.init, ...cRows.init];
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < cols; j++) {
      const [p, off] = addr(get(P.c), cRows, i);
      body.push(m.local.set(acc[i]![j]!, load(p, off + j * W * 4)));
    }
  }
  // One k per iteration. Unrolled by hand, binaryen sinks each accumulator's chain across the
  // steps and hoists their loads, keeping every step's B vectors live (spills); unrolling with
  // each chain kept together measured slower too. V8 peels the loop itself.
  const step: Ref[] = [];
  for (let j = 0; j < cols; j++) step.push(m.local.set(bv[j]!, load(get(pb), j * W * 4)));
  for (let i = 0; i < M; i++) {
    const [p, off] = addr(get(pa), aRows, i);
    step.push(m.local.set(av, splat(p, off)));
    for (let j = 0; j < cols; j++) step.push(m.local.set(acc[i]![j]!, madd(get(av, T), get(bv[j]!, T), get(acc[i]![j]!, T))));
  }
  step.push(
    m.local.set(pa, m.i32.add(get(pa), c(4))),
    m.local.set(pb, m.i32.add(get(pb), spec.ldb === undefined ? get(bStep) : c(spec.ldb * 4))),
  );
  const kBytes = (): Ref => (spec.K === undefined ? m.i32.shl(get(P.K), c(2)) : c(spec.K * 4));
  body.push(
    m.local.set(pa, get(P.a)),
    m.local.set(pb, get(P.b)),
    m.local.set(aEnd, m.i32.add(get(P.a), kBytes())),
    m.local.set(bStep, spec.ldb === undefined ? m.i32.shl(get(P.ldb), c(2)) : c(0)),
  );
  const loop = m.loop("k", m.block(null, [...step, m.br("k", m.i32.lt_u(get(pa), get(aEnd)))]));
  body.push(spec.K !== undefined && spec.K > 0 ? loop : m.if(m.i32.gt_s(kBytes(), c(0)), loop));
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < cols; j++) {
      const [p, off] = addr(get(P.c), cRows, i);
      body.push(store(p, off + j * W * 4, get(acc[i]![j]!, T)));
    }
  }
  m.addFunction(name, binaryen.createType(new Array<binaryen.Type>(7).fill(i32)), binaryen.none, types, m.block(null, body));
  return name;
}

/** What the call site provides: byte addresses of handle arguments, i32 values of scalars. */
export interface UkernelCallEnv {
  mb: ModuleBuilder;
  simd: boolean;
  /** The byte address a handle argument points to, undefined when it is not a known buffer. */
  handle(h: PrimExpr): Ref | undefined;
  i32(e: PrimExpr): Ref;
  fail(msg: string): never;
}

/**
 * A `T.call_extern` of a micro-kernel this file defines, as a call of its module function
 * (an int32 0 as the call's value, like the C kernels); undefined for other extern names.
 */
export function ukernelCall(env: UkernelCallEnv, call: Call): Ref | undefined {
  const fn = call.args[0];
  const tile = fn?.kind === "StringImm" ? parseFmaUkernel((fn as StringImm).value) : undefined;
  if (!tile) return undefined;
  const name = (fn as StringImm).value;
  const a = call.args.slice(1);
  if (a.length !== 10) env.fail(`${name} takes 10 arguments (C, c_off, ldc, A, a_off, lda, B, b_off, ldb, K), got ${a.length}`);
  const m = env.mb.m;
  const ptr = (h: PrimExpr, off: PrimExpr, what: string): Ref => {
    const base = env.handle(h);
    if (!base) env.fail(`${name}: argument ${what} must be the data of a buffer defined here`);
    return m.i32.add(base, m.i32.shl(env.i32(off), m.i32.const(2)));
  };
  // Constants become load offsets, which are unsigned: a negative one stays a run-time value.
  const known = (e: PrimExpr): number | undefined => (e.kind === "IntImm" && (e as IntImm).value >= 0 ? (e as IntImm).value : undefined);
  const f = fmaUkernelFunction(env.mb, {
    ...tile, ldc: known(a[2]!), lda: known(a[5]!), ldb: known(a[8]!), K: known(a[9]!),
    simd: env.simd, relaxed: env.mb.relaxedSimd,
  });
  const args = [ptr(a[0]!, a[1]!, "C"), ptr(a[3]!, a[4]!, "A"), ptr(a[6]!, a[7]!, "B"), ...[a[2]!, a[5]!, a[8]!, a[9]!].map((x) => env.i32(x))];
  return m.block(null, [m.call(f, args, binaryen.none), m.i32.const(0)], binaryen.i32);
}
