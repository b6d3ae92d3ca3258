/**
 * The fp32 matmul rule of the `c` and `wasm` targets: the BLIS structure with weft's
 * register-tiled micro-kernel (`weft_fma_f32_<MR>x<NR>_k<KC>_extern`,
 * src/schedule/intrinsics/cpu.ts; C source in src/target/c/ukernels.ts, wasm emitted by
 * src/target/wasm/wasm_ukernel.ts: the MR x NR tile of C in vector registers, one FMA per row
 * and vector of NR per k). The tile shape is per target (`ukernelTiling`).
 *
 * - B is packed once (a "global" cache read in the layout [.., N / NR, K, NR]), so the
 *   micro-kernel reads one contiguous NR-float row per k (no 4 KiB-strided columns); the
 *   packing loop is vectorized (NN) and parallel;
 * - i -> [i0, i1, MR], j -> [j0, j1, NR], k -> [k0, KC]; order
 *   (batch, i0, j0, k0, i1, j1, MR, NR, KC): a (MR * i1) x (NR * j1) tile of C per parallel
 *   task, the KC-deep slices of A (MR rows) and of the packed B panel reused from L1/L2;
 * - (batch, i0, j0) fused and parallel (OpenMP on c, the worker pool on wasm); the init decomposed out of k0 (vectorized);
 *   the elementwise epilogue (bias, relu) computed per tile after the reduction;
 * - the (MR, NR, KC) tile tensorized with the extern micro-kernel.
 *
 * Only when the shapes divide (I % MR, J % NR), or are symbolic: symbolic extents are padded
 * (operands copied into zero-padded buffers, C computed into a padded one). Other shapes, other dtypes and operands that
 * are not A[.., i, k] and B[.., k, j] / B[.., j, k] make the rule skip (the generic matmul
 * rule takes them).
 */
import { BufferLoad, type PrimExpr, type Var } from "../../ir/expr.js";
import { BufferStore } from "../../tir/stmt.js";
import { ensureFmaF32 } from "../intrinsics/cpu.js";
import type { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";
import { multiplyAddOperands } from "./block_kind.js";
import type { RuleConfig } from "./rules.js";
import { ruleElementwise } from "./rules.js";
import { constExtent, extentOf, iterVarOfLoop, largestDivisorAtMost, loopRoles, skipUnless, workOf } from "./util.js";

/** Rows of the register tile, most preferred first (MR x NR / lanes accumulators, at most 24). */
const MR_PREFS = [8, 6, 4, 12, 16];
/** Depth of a k slice (A slice MR x KC and B slice KC x NR stay in L1). */
const KC_MAX = 256;
/** Rows and columns of C per parallel task. */
const TILE_I = 64;
/**
 * Symbolic rows are padded to a multiple of this (two or four micro-kernel tiles): small enough
 * that a short sequence wastes little, large enough to reuse each packed B panel a few times.
 */
const SYMBOLIC_ROWS = 16;
/** KC of a symbolic reduction (padded to a multiple of it). */
const SYMBOLIC_K = 64;
const TILE_J = 128;

export interface UkernelTiling {
  mr: number;
  nr: number;
  kc: number;
}

/**
 * wasm tiles (MR, NR), most preferred first. V8 maps v128 locals to the 16 xmm registers of
 * x86-64 (one kept as scratch): MR * NR / 4 accumulators + NR / 4 B vectors + the splatted A
 * value (+ the product, without FMA) stay within 15. 4x8 measured fastest; 6x8 spills without
 * FMA. Smaller tiles (fewer than 4 accumulators) are left to the generic rule.
 */
const WASM_TILES: readonly (readonly [number, number])[] = [[4, 8], [6, 8], [2, 16], [3, 12], [4, 4], [2, 8]];

/** The micro-kernel tile for an I x J x K matmul, undefined when the shapes do not divide. */
export function ukernelTiling(I: number, J: number, K: number, lanes: number, kind = "c"): UkernelTiling | undefined {
  let mr: number | undefined, nr: number | undefined;
  if (kind === "wasm") {
    [mr, nr] = WASM_TILES.find(([m, n]) => I % m === 0 && J % n === 0) ?? [];
  } else {
    nr = [lanes * 2, lanes].find((n) => n >= 4 && J % n === 0);
    if (nr !== undefined) mr = MR_PREFS.find((m) => I % m === 0 && (m * nr!) / lanes <= 24);
  }
  if (mr === undefined || nr === undefined) return undefined;
  let kc = K <= KC_MAX * 2 ? K : largestDivisorAtMost(K, KC_MAX);
  if (kc < 32) kc = K;
  return { mr, nr, kc };
}

function isVarLoad(e: PrimExpr): e is BufferLoad {
  return e instanceof BufferLoad && e.indices.every((x) => x.kind === "Var");
}

function vectorizeLast(sch: Schedule, block: BlockRV, lanes: number): void {
  const loops = sch.getLoops(block);
  const last = loops[loops.length - 1];
  if (!last) return;
  const e = constExtent(sch, last);
  if (e % lanes !== 0) return;
  const w = e <= lanes * 2 ? e : e % (lanes * 2) === 0 ? lanes * 2 : lanes; // e.g. NR = 12 on wasm: by 4
  sch.vectorize(w === e ? last : sch.split(last, [undefined, w])[1]!);
}

export function ruleMatmulUkernel(sch: Schedule, name: string, cfg: RuleConfig, epilogue?: string, kind = "c"): string | undefined {
  const b = sch.getBlock(name);
  const blk = sch.get(b);
  const loops = sch.getLoops(b);
  const roles = loopRoles(sch, b, loops);
  const s = roles.indexOf("R");
  skipUnless(s >= 2 && s === loops.length - 1 && roles.slice(0, s).every((r) => r === "S"), "loops are not (spatial..., k)");
  const batch = loops.slice(0, s - 2);
  let [i, j, k] = [loops[s - 2]!, loops[s - 1]!, loops[s]!];
  const [vi, vj, vk] = [i, j, k].map((l) => iterVarOfLoop(sch, b, l)) as (Var | undefined)[];
  skipUnless(vi !== undefined && vj !== undefined && vk !== undefined, "loops are not bound to iter vars");
  // The form the micro-kernel computes: C[.., i, j] += A[.., i, k] * B[.., k, j] (or B[.., j, k]), fp32.
  const store = blk.body;
  skipUnless(store instanceof BufferStore && store.buffer.dtype.toString() === "float32", "not a float32 store");
  const st = store.indices;
  skipUnless(st.length >= 2 && st[st.length - 2] === vi && st[st.length - 1] === vj, "output is not C[.., i, j]");
  const ops = multiplyAddOperands(blk);
  skipUnless(ops !== undefined && isVarLoad(ops[0]) && isVarLoad(ops[1]), "operands are not plain loads");
  let [lhs, rhs] = ops as [BufferLoad, BufferLoad];
  const last2 = (l: BufferLoad) => l.indices.slice(-2);
  const isA = (l: BufferLoad) => { const [x, y] = last2(l); return x === vi && y === vk; };
  if (!isA(lhs) && isA(rhs)) [lhs, rhs] = [rhs, lhs];
  skipUnless(isA(lhs) && lhs.buffer.dtype.toString() === "float32" && rhs.buffer.dtype.toString() === "float32", "first operand is not A[.., i, k] in float32");
  const [r0, r1] = last2(rhs);
  const transposed = r0 === vj && r1 === vk;
  skipUnless(transposed || (r0 === vk && r1 === vj), "second operand is not B[.., k, j] or B[.., j, k]");
  skipUnless(rhs.indices.length >= 2 && lhs.buffer !== rhs.buffer && lhs.buffer !== store.buffer && rhs.buffer !== store.buffer, "operands alias");
  const bRead = blk.reads.findIndex((r) => r.buffer === rhs.buffer);
  skipUnless(bRead >= 0, "B is not among the block's reads");

  // Symbolic extents (a dynamic batch or sequence length) are computed padded: rows to
  // SYMBOLIC_ROWS, columns to NR, the reduction to a KC of SYMBOLIC_K (zeros add nothing).
  const [symI, symJ, symK] = [i, j, k].map((l) => extentOf(sch, l) === undefined);
  const I = symI ? SYMBOLIC_ROWS : constExtent(sch, i);
  const J = symJ ? TILE_J : constExtent(sch, j);
  const K = symK ? SYMBOLIC_K : constExtent(sch, k);
  const tiling = ukernelTiling(I, J, K, cfg.lanes, kind);
  skipUnless(tiling !== undefined, `no micro-kernel tile divides ${I}x${J}`);
  const { mr, nr, kc } = tiling;
  const i1 = largestDivisorAtMost(I / mr, Math.max(1, Math.floor(TILE_I / mr)));
  const j1 = symJ ? 1 : largestDivisorAtMost(J / nr, Math.max(1, Math.floor(TILE_J / nr)));
  if (symI || symJ || symK) {
    const units = new Map<Var, number>([[vi, symI ? I : 1], [vj, symJ ? nr : 1], [vk, symK ? kc : 1]]);
    epilogue = padSymbolic(sch, b, units, cfg, epilogue);
    [i, j, k] = sch.getLoops(b).slice(s - 2);
  }
  const [i0, i1l, i2] = sch.split(i, [undefined, i1, mr]);
  const [j0, j1l, j2] = sch.split(j, [undefined, j1, nr]);
  const [k0, k1] = sch.split(k, [undefined, kc]);
  sch.reorder(...batch, i0!, j0!, k0!, i1l!, j1l!, i2!, j2!, k1!);

  // Pack B: [.., k, j] (or [.., j, k]) -> [.., j // NR, k, j % NR].
  const pack = sch.cacheRead(b, bRead, "global");
  const nd = rhs.indices.length;
  const names = Array.from({ length: nd }, (_, d) => `v${d}`);
  const lead = names.slice(0, nd - 2);
  const [kn, jn] = transposed ? [names[nd - 1]!, names[nd - 2]!] : [names[nd - 2]!, names[nd - 1]!];
  sch.transformLayout(b, ["read", bRead], `lambda ${names.join(", ")}: (${[...lead, `${jn} // ${nr}`, kn, `${jn} % ${nr}`].join(", ")})`);
  schedulePack(sch, pack, nd, transposed, nr, cfg);

  let used: string | undefined;
  if (epilogue) {
    try {
      const e = sch.getBlock(epilogue);
      sch.reverseComputeAt(e, j0!);
      vectorizeLast(sch, e, cfg.lanes);
      used = epilogue;
    } catch {
      used = undefined;
    }
  }
  const fused = fuseOuter(sch, [...batch, i0!, j0!]);
  // A symbolic batch gives a symbolic fused extent: parallel as well (it is rarely 1).
  const fe = extentOf(sch, fused);
  if (fe === undefined || fe >= 2) sch.parallel(fused);
  const init = sch.decomposeReduction(b, k0!);
  vectorizeLast(sch, init, cfg.lanes);
  const [, intrin] = ensureFmaF32(mr, nr, kc, vi.dtype.bits === 64 ? "int64" : "int32");
  sch.tensorize(i2!, intrin);
  return used;
}

/**
 * Fuses the outer loops of the tile into the parallel loop. Dividing the fused index by a symbolic
 * extent leaves index expressions the analyzer cannot bound, so at most one symbolic loop joins
 * the fusion, as its outermost loop (a second one stays serial inside); unit loops stay out.
 */
function fuseOuter(sch: Schedule, loops: LoopRV[]): LoopRV {
  const symbolic = loops.filter((l) => extentOf(sch, l) === undefined);
  const constant = loops.filter((l) => { const e = extentOf(sch, l); return e !== undefined && e !== 1; });
  const group = [...symbolic.slice(0, 1), ...constant];
  if (group.length === 0) return loops[loops.length - 1]!;
  const serial = symbolic.slice(1);
  const units = loops.filter((l) => extentOf(sch, l) === 1);
  if (symbolic.length > 0) sch.reorder(...units, ...group, ...serial);
  return group.length > 1 ? sch.fuse(...group) : group[0]!;
}

/**
 * Pads the iters of matmul `b` to multiples of `units` (pad_einsum): the operands are copied into
 * zero-padded buffers (vectorized, parallel) and C computed into a padded one whose copy-out is
 * inlined into the epilogue when there is one (else scheduled as an elementwise block). Returns
 * the block that now serves as the epilogue.
 */
function padSymbolic(sch: Schedule, b: BlockRV, units: ReadonlyMap<Var, number>, cfg: RuleConfig, epilogue?: string): string | undefined {
  const padding = sch.get(b).iterVars.map((iv) => units.get(iv.variable) ?? 1);
  const before = new Set(sch.getProducers(b).map((p) => sch.get(p).nameHint));
  sch.padEinsum(b, padding);
  for (const p of sch.getProducers(b)) {
    const name = sch.get(p).nameHint;
    if (!before.has(name)) ruleElementwise(sch, name, cfg);
  }
  const out = sch.getConsumers(b);
  skipUnless(out.length === 1, "padded matmul has no single copy-out block");
  if (epilogue) {
    sch.computeInline(out[0]!);
    return epilogue;
  }
  ruleElementwise(sch, sch.get(out[0]!).nameHint, cfg);
  return undefined;
}

/**
 * For the generic matmul rule: when the second operand is read as B[.., j, k] (dense's weight,
 * batch_matmul's NT form), packs it into [.., j // NR, k, j % NR] so the vectorized NR loop reads
 * contiguous floats instead of NR rows K apart (a gather). `vj`, `vk` are the block's iter vars
 * of j and k. Returns false (nothing changed) when B is not of that form.
 */
export function packTransposedB(sch: Schedule, b: BlockRV, vj: Var, vk: Var, nr: number, cfg: RuleConfig): boolean {
  const blk = sch.get(b);
  const ops = multiplyAddOperands(blk);
  if (!ops || !isVarLoad(ops[0]) || !isVarLoad(ops[1])) return false;
  const rhs = [ops[0], ops[1]].find((l) => {
    const [x, y] = l.indices.slice(-2);
    return l.indices.length >= 2 && x === vj && y === vk;
  });
  if (!rhs || rhs.buffer.dtype.toString() !== "float32" || blk.writes.some((w) => w.buffer === rhs.buffer)) return false;
  // Mixed index types (int32 shapes of B, int64 loops of a symbolic function) leave casts
  // around the packed index that vectorization cannot see through (the loads become gathers).
  if (rhs.buffer.shape.some((d) => d.dtype !== vj.dtype)) return false;
  const bRead = blk.reads.findIndex((r) => r.buffer === rhs.buffer);
  if (bRead < 0) return false;
  const pack = sch.cacheRead(b, bRead, "global");
  const nd = rhs.indices.length;
  const names = Array.from({ length: nd }, (_, d) => `v${d}`);
  const [jn, kn] = [names[nd - 2]!, names[nd - 1]!];
  sch.transformLayout(b, ["read", bRead], `lambda ${names.join(", ")}: (${[...names.slice(0, nd - 2), `${jn} // ${nr}`, kn, `${jn} % ${nr}`].join(", ")})`);
  schedulePack(sch, pack, nd, true, nr, cfg);
  return true;
}

/** The packing loop: j split by NR and vectorized (contiguous reads for B[.., k, j]); outer loops parallel. */
function schedulePack(sch: Schedule, pack: BlockRV, nd: number, transposed: boolean, nr: number, cfg: RuleConfig): void {
  const loops = sch.getLoops(pack);
  if (loops.length !== nd) return;
  const lead = loops.slice(0, nd - 2);
  const jl = transposed ? loops[nd - 2]! : loops[nd - 1]!;
  const kl = transposed ? loops[nd - 1]! : loops[nd - 2]!;
  const [jo, ji] = sch.split(jl, [undefined, nr]);
  let outer: LoopRV[];
  if (transposed) {
    sch.reorder(jo!, kl, ji!);
    outer = [...lead, jo!];
  } else {
    sch.vectorize(ji!);
    outer = [...lead, kl];
  }
  if (workOf(sch, sch.getLoops(pack)) >= cfg.minParallelWork) {
    const f = fuseOuter(sch, outer);
    const fe = extentOf(sch, f);
    if (fe === undefined || fe >= 2) sch.parallel(f);
  }
}
