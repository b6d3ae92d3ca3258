/**
 * The `T` and `I` namespaces and the global scope every script starts from. `T.<name>`
 * resolves, in order, to a builtin, the `T.axis` namespace, a dtype (`T.float32`,
 * `T.int8x4`), or an intrinsic by its script name (`T.exp`), so operators registered later
 * are reachable without touching the parser.
 */
import { DataType } from "../../../ir/dtype.js";
import { Op } from "../../../ir/op_registry.js";
import { blockBuiltins, rangeBuiltin } from "./builtins_block.js";
import { bufferBuiltins } from "./builtins_buffer.js";
import { dtypeValue, exprBuiltins } from "./builtins_expr.js";
import { irBuiltins, stmtBuiltins } from "./builtins_stmt.js";
import { Scope } from "./context.js";
import { Namespace, type Builtin, type DataTypeValue, type ScriptValue } from "./values.js";

const COMMON_DTYPES = [
  "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64",
  "bfloat16", "bool", "handle",
];

function makeT(): Namespace {
  const table = new Map<string, Builtin>();
  const { table: blocks, axis } = blockBuiltins();
  for (const t of [exprBuiltins(), bufferBuiltins(), blocks, stmtBuiltins()]) {
    for (const [k, v] of t) table.set(k, v);
  }
  const dtypes = new Map<string, DataTypeValue>();
  const member = (name: string): ScriptValue | undefined => {
    const b = table.get(name);
    if (b) return b;
    if (name === "axis") return axis;
    let d = dtypes.get(name);
    if (d) return d;
    const t = DataType.tryParse(name);
    if (t && name !== "void") {
      d = dtypeValue(t);
      dtypes.set(name, d);
      return d;
    }
    return Op.byScriptName(name);
  };
  const names = () => [...table.keys(), "axis", ...COMMON_DTYPES, ...Op.all().map((o) => o.scriptName)];
  return new Namespace("T", member, names);
}

function makeI(): Namespace {
  const table = irBuiltins();
  return new Namespace("I", (n) => table.get(n), () => [...table.keys()]);
}

export const T_NAMESPACE = makeT();
export const I_NAMESPACE = makeI();

/** `tvm.script.ir_module` and `tvm.script.tir`, as older TVM documentation spells them. */
function makeTvm(): Namespace {
  const irModule = I_NAMESPACE.member("ir_module");
  const script = new Map<string, ScriptValue>([
    ["tir", T_NAMESPACE], ["ir", I_NAMESPACE], ["ir_module", irModule],
  ]);
  const scriptNs = new Namespace("tvm.script", (n) => script.get(n), () => [...script.keys()]);
  return new Namespace("tvm", (n) => (n === "script" ? scriptNs : undefined), () => ["script"]);
}

const TVM_NAMESPACE = makeTvm();

/** A fresh global scope: `T`, `I`, `tvm` and `range`. */
export function globalScope(): Scope {
  const s = new Scope(undefined);
  s.set("T", T_NAMESPACE, undefined);
  s.set("I", I_NAMESPACE, undefined);
  s.set("tvm", TVM_NAMESPACE, undefined);
  s.set("range", rangeBuiltin, undefined);
  return s;
}
