/**
 * Cross-level calls and shape access: call_tir (a TensorIR PrimFunc in destination-passing
 * style), call_dps_packed (a runtime function in DPS), call_pure_packed (a pure runtime
 * function returning its result) and shape_of.
 */
import { GlobalVar } from "../../ir/expr.js";
import { argStructInfo, ExternFunc, Tuple, type Call, type CallArg, type Expr } from "../expr.js";
import { ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo } from "../struct_info.js";
import { opName, sinfoText, tensorArg } from "./infer_util.js";
import { callOp, RelaxOp } from "./registry.js";

function outSinfo(call: Call): StructInfo {
  const s = call.sinfoArgs[0];
  if (call.sinfoArgs.length !== 1 || !s) throw new TypeError(`${opName(call)}: needs exactly one out_sinfo (an R.Tensor or an R.Tuple of them), got ${call.sinfoArgs.length}`);
  const ok = (x: StructInfo) => x instanceof TensorStructInfo;
  if (!ok(s) && !(s instanceof TupleStructInfo && s.fields.every(ok))) {
    throw new TypeError(`${opName(call)}: out_sinfo must be an R.Tensor or an R.Tuple of R.Tensor, got ${sinfoText(s)}`);
  }
  return s;
}

function argsTuple(call: Call, i: number): TupleStructInfo {
  const s = argStructInfo(call.args[i]!);
  if (!(s instanceof TupleStructInfo)) throw new TypeError(`${opName(call)}: the arguments must be a tuple, got ${sinfoText(s)}`);
  return s;
}

RelaxOp.register("relax.call_tir", {
  params: [{ name: "func", kind: "expr" }, { name: "args", kind: "expr" }, { name: "tir_vars", kind: "shape", optional: true }],
  infer: (call, ctx) => {
    const gv = call.args[0];
    if (!(gv instanceof GlobalVar)) throw new TypeError(`${opName(call)}: the callee must be a module PrimFunc (cls.name), got ${gv?.kind}`);
    const args = argsTuple(call, 1);
    const out = outSinfo(call);
    let nTirVars = 0;
    if (call.args[2]) {
      const t = argStructInfo(call.args[2]);
      if (!(t instanceof ShapeStructInfo)) throw new TypeError(`${opName(call)}: tir_vars must be a shape (R.shape([...])), got ${sinfoText(t)}`);
      nTirVars = t.ndim;
    }
    const fn = ctx.lookupFunction(gv);
    if (fn && fn.kind === "PrimFunc" && nTirVars >= 0) {
      const nOut = out instanceof TupleStructInfo ? out.fields.length : 1;
      const have = (fn as unknown as { params: readonly unknown[] }).params.length;
      const want = args.fields.length + nOut + nTirVars;
      if (have !== want) {
        throw new TypeError(
          `${opName(call)}: PrimFunc '${gv.name}' takes ${have} parameter(s) but the call passes ${args.fields.length} input(s) + ${nOut} output(s)` +
            (nTirVars ? ` + ${nTirVars} tir var(s)` : ""),
        );
      }
    } else if (fn && fn.kind !== "PrimFunc") {
      throw new TypeError(`${opName(call)}: '${gv.name}' is a ${fn.kind}, not a PrimFunc`);
    }
    return out;
  },
});

RelaxOp.register("relax.call_dps_packed", {
  params: [{ name: "func", kind: "expr" }, { name: "args", kind: "expr" }],
  infer: (call) => {
    if (!(call.args[0] instanceof ExternFunc)) throw new TypeError(`${opName(call)}: the callee must be a packed function name, got ${call.args[0]?.kind}`);
    argsTuple(call, 1);
    return outSinfo(call);
  },
});

RelaxOp.register("relax.call_pure_packed", {
  params: [{ name: "func", kind: "expr" }, { name: "args", kind: "expr", variadic: true }],
  infer: (call) => {
    if (!(call.args[0] instanceof ExternFunc)) throw new TypeError(`${opName(call)}: the callee must be a packed function name, got ${call.args[0]?.kind}`);
    const s = call.sinfoArgs[0];
    if (call.sinfoArgs.length !== 1 || !s) throw new TypeError(`${opName(call)}: needs exactly one entry in sinfo_args (the result's struct info)`);
    return s;
  },
});

RelaxOp.register("relax.shape_of", {
  params: [{ name: "x", kind: "expr" }],
  infer: (call) => {
    const x = tensorArg(call, 0, "x");
    if (x.shape) return argStructInfo(x.shape);
    return new ShapeStructInfo(x.ndim);
  },
});

export function callTir(func: GlobalVar, args: readonly Expr[] | Expr, outSinfo: StructInfo, tirVars?: Expr): Call {
  const a: CallArg[] = [func, Array.isArray(args) ? new Tuple(args as readonly Expr[]) : (args as Expr)];
  if (tirVars) a.push(tirVars);
  return callOp("relax.call_tir", a, {}, [outSinfo]);
}

export function callDpsPacked(func: string | ExternFunc, args: readonly Expr[] | Expr, outSinfo: StructInfo): Call {
  const f = typeof func === "string" ? new ExternFunc(func) : func;
  return callOp("relax.call_dps_packed", [f, Array.isArray(args) ? new Tuple(args as readonly Expr[]) : (args as Expr)], {}, [outSinfo]);
}

export function callPurePacked(func: string | ExternFunc, args: readonly Expr[], sinfo: StructInfo): Call {
  const f = typeof func === "string" ? new ExternFunc(func) : func;
  return callOp("relax.call_pure_packed", [f, ...args], {}, [sinfo]);
}

export function shapeOf(x: Expr): Call {
  return callOp("relax.shape_of", [x]);
}

