/**
 * Memory operators that the VM lowering introduces (TVM's `R.builtin.alloc_tensor` and
 * `R.memory.*`): CallTIRRewrite allocates outputs with `R.builtin.alloc_tensor`;
 * StaticPlanBlockMemory turns those into storages (`R.memory.alloc_storage`) with tensors
 * placed in them (`R.memory.alloc_tensor`); KillAfterLastUse ends lifetimes with
 * `R.memory.kill_tensor` / `R.memory.kill_storage`.
 */
import { DataTypeImm, PrimValue, ShapeExpr, StringImm, argStructInfo, type Call, type Expr } from "../expr.js";
import { ObjectStructInfo, ShapeStructInfo, TensorStructInfo, TupleStructInfo, type StructInfo } from "../struct_info.js";
import { opName, sinfoText } from "./infer_util.js";
import { callOp, RelaxOp } from "./registry.js";

function dtypeArg(call: Call, i: number): DataTypeImm {
  const a = call.args[i];
  if (!(a instanceof DataTypeImm)) throw new TypeError(`${opName(call)}: argument ${i} must be a dtype (R.dtype("float32")), got ${a?.kind}`);
  return a;
}

function shapeArg(call: Call, i: number): Expr {
  const a = call.args[i] as Expr;
  const s = argStructInfo(a);
  if (!(s instanceof ShapeStructInfo)) throw new TypeError(`${opName(call)}: argument ${i} must be a shape, got ${sinfoText(s)}`);
  return a;
}

/** The tensor a shape argument and a dtype describe. */
function tensorOf(call: Call, shapeIndex: number, dtypeIndex: number): StructInfo {
  return new TensorStructInfo(shapeArg(call, shapeIndex), dtypeArg(call, dtypeIndex).value);
}

RelaxOp.register("relax.builtin.alloc_tensor", {
  params: [{ name: "shape", kind: "shape" }, { name: "dtype", kind: "expr" }, { name: "runtime_device_index", kind: "expr" }],
  infer: (call) => tensorOf(call, 0, 1),
  pure: false,
});

RelaxOp.register("relax.memory.alloc_storage", {
  params: [
    { name: "size", kind: "shape" }, { name: "virtual_device_index", kind: "expr" }, { name: "storage_scope", kind: "expr" },
    { name: "dtype", kind: "expr" },
  ],
  infer: (call) => {
    shapeArg(call, 0);
    return new ObjectStructInfo();
  },
  pure: false,
});

RelaxOp.register("relax.memory.alloc_tensor", {
  params: [{ name: "storage", kind: "expr" }, { name: "offset", kind: "expr" }, { name: "shape", kind: "shape" }, { name: "dtype", kind: "expr" }],
  infer: (call) => tensorOf(call, 2, 3),
  pure: false,
});

const killInfer = () => new TupleStructInfo([]);
RelaxOp.register("relax.memory.kill_storage", { params: [{ name: "storage", kind: "expr" }], infer: killInfer, pure: false });
RelaxOp.register("relax.memory.kill_tensor", { params: [{ name: "tensor", kind: "expr" }], infer: killInfer, pure: false });

/** `R.builtin.alloc_tensor(shape, dtype, 0)` with its StructInfo. */
export function builtinAllocTensor(shape: Expr, dtype: import("../../ir/dtype.js").DataType): Call {
  const c = callOp("relax.builtin.alloc_tensor", [shape, new DataTypeImm(dtype), PrimValue.int64(0)]);
  return c.withStructInfo(new TensorStructInfo(shape, dtype));
}

/** `R.memory.alloc_storage(R.shape([bytes]), 0, "global", dtype)`. */
export function memoryAllocStorage(bytes: number, dtype: import("../../ir/dtype.js").DataType): Call {
  const c = callOp("relax.memory.alloc_storage", [new ShapeExpr([bytes]), PrimValue.int64(0), new StringImm("global"), new DataTypeImm(dtype)]);
  return c.withStructInfo(new ObjectStructInfo());
}

/** `R.memory.alloc_tensor(storage, offset, shape, dtype)`. */
export function memoryAllocTensor(storage: Expr, offset: number, shape: Expr, dtype: import("../../ir/dtype.js").DataType): Call {
  const c = callOp("relax.memory.alloc_tensor", [storage, PrimValue.int64(offset), shape, new DataTypeImm(dtype)]);
  return c.withStructInfo(new TensorStructInfo(shape, dtype));
}

export function killTensor(x: Expr): Call {
  return callOp("relax.memory.kill_tensor", [x]).withStructInfo(new TupleStructInfo([]));
}
export function killStorage(x: Expr): Call {
  return callOp("relax.memory.kill_storage", [x]).withStructInfo(new TupleStructInfo([]));
}
