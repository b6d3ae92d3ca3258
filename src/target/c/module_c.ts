/**
 * The `c` target's backend: registers itself with the target registry on import.
 * `Target.parse("c -mcpu=skylake -num-cores=2")`: `-mcpu` becomes `-march=`, `-num-cores`
 * the thread count of parallel loops; `-openmp=false` builds without OpenMP.
 */
import type { IRModule } from "../../ir/module.js";
import { ArgChecker, FunctionModule, type ArgValue, type ArrayArg, type PackedFunc } from "../../runtime/module.js";
import { PrimFunc } from "../../tir/function.js";
import { storageClass } from "../../tir/interp/host_array.js";
import { primFuncSignature } from "../signature.js";
import { registerTarget, type Target } from "../target.js";
import { buildC, nativeClass, type BuildCOptions, type CModule } from "./module.js";

/** Build options from a target description. */
export function cOptionsOf(target: Target): BuildCOptions {
  const opts: BuildCOptions = {};
  const mcpu = target.get("mcpu");
  if (typeof mcpu === "string") opts.mcpu = mcpu;
  const cores = target.get("num-cores");
  if (typeof cores === "number") opts.numThreads = cores;
  const omp = target.get("openmp");
  if (typeof omp === "boolean") opts.openmp = omp;
  return opts;
}

/** Builds the shared Module interface over a compiled C module. */
export function buildCModule(mod: IRModule, target: Target, extra: BuildCOptions = {}): FunctionModule & { readonly c: CModule } {
  const cmod = buildC(mod, { ...cOptionsOf(target), ...extra });
  const funcs: [string, PackedFunc][] = [];
  const sources = new Map<string, string>();
  for (const [gv, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    const name = gv.name;
    const cf = cmod.get(name);
    const { signature, symbolOf } = primFuncSignature(f, name, (t) => storageClass(t));
    const checker = new ArgChecker(signature);
    const syms = checker.syms;
    const params = cf.info.params;
    const implicit = cf.info.implicitVars.map((iv) => ({ sym: symbolOf.get(iv.var), wide: iv.var.dtype.bits === 64 }));
    const nparams = params.length;
    const cargs: unknown[] = new Array(nparams + implicit.length);
    const packed: PackedFunc = (...args: ArgValue[]) => {
      checker.check(args);
      let writeBacks: (() => void)[] | undefined;
      for (let i = 0; i < nparams; i++) {
        const a = args[i]!;
        const p = params[i]!;
        if (!p.buffer) {
          cargs[i] = typeof a === "boolean" ? (a ? 1 : 0) : a;
          continue;
        }
        const data = (a as ArrayArg).data;
        const C = nativeClass(p.buffer.dtype)!;
        if (data instanceof C) cargs[i] = data;
        else {
          // int64 / uint64 kept as Float64Array: convert for the call, write back after.
          const src = data as unknown as Float64Array;
          const tmp = new C(src.length) as BigInt64Array;
          for (let k = 0; k < src.length; k++) tmp[k] = BigInt(src[k]!);
          cargs[i] = tmp;
          (writeBacks ??= []).push(() => {
            for (let k = 0; k < src.length; k++) src[k] = Number(tmp[k]);
          });
        }
      }
      for (let k = 0; k < implicit.length; k++) {
        const s = implicit[k]!;
        const v = s.sym === undefined ? 0 : syms[s.sym]!; // elem_offset variables: arrays start at offset 0
        cargs[nparams + k] = s.wide ? BigInt(v) : v;
      }
      const r = cf.callNative(cargs, writeBacks);
      return f.retType && !f.retType.isVoid() ? r : undefined;
    };
    Object.defineProperty(packed, "name", { value: name });
    funcs.push([name, packed]);
    sources.set(name, cmod.source);
  }
  const m = new FunctionModule(target.toString(), funcs, sources) as FunctionModule & { c: CModule };
  m.c = cmod;
  return m;
}

registerTarget("c", { build: (mod, target) => buildCModule(mod, target) });
