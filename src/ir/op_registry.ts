/**
 * The registry of intrinsic operators that `Call` nodes refer to (`tir.exp`, `tir.if_then_else`,
 * ...). An Op is identified by object: `Op.get("tir.exp")` always returns the same instance.
 */
import type { Node } from "./node.js";
import type { Call } from "./expr.js";

export type OpCategory =
  /** unary float math, elementwise over lanes */
  | "math"
  /** bit and integer helpers */
  | "bits"
  /** control: if_then_else, likely, ... */
  | "control"
  /** opaque calls into the outside world */
  | "extern"
  /** runtime/builtin helpers used by lowering */
  | "builtin";

export interface OpSpec {
  /** Number of arguments; -1 for variadic. */
  numArgs: number;
  category: OpCategory;
  /** The name after `T.` in TVMScript; defaults to the op name without `tir.`. */
  scriptName?: string;
  /** Whether calls may be freely moved, duplicated or removed. */
  pure?: boolean;
  /** Extra type checks for a call; throw a TypeError naming the op. */
  check?: (call: Call) => void;
}

export class Op implements Node {
  readonly kind = "Op";
  readonly scriptName: string;
  readonly numArgs: number;
  readonly category: OpCategory;
  readonly pure: boolean;
  readonly check: ((call: Call) => void) | undefined;

  private constructor(
    readonly name: string,
    spec: OpSpec,
  ) {
    this.scriptName = spec.scriptName ?? name.replace(/^tir\./, "");
    this.numArgs = spec.numArgs;
    this.category = spec.category;
    this.pure = spec.pure ?? true;
    const extra = spec.check;
    this.check = (call: Call) => {
      if (this.numArgs >= 0 && call.args.length !== this.numArgs) {
        throw new TypeError(`T.${this.scriptName} takes ${this.numArgs} argument(s), got ${call.args.length}`);
      }
      extra?.(call);
    };
  }

  private static readonly table = new Map<string, Op>();
  private static readonly byScript = new Map<string, Op>();

  static register(name: string, spec: OpSpec): Op {
    const op = new Op(name, spec);
    Op.table.set(name, op);
    Op.byScript.set(op.scriptName, op);
    return op;
  }

  static get(name: string): Op {
    const op = Op.table.get(name) ?? Op.table.get(`tir.${name}`);
    if (!op) throw new Error(`unknown operator "${name}"`);
    return op;
  }

  static tryGet(name: string): Op | undefined {
    return Op.table.get(name) ?? Op.table.get(`tir.${name}`);
  }

  /** Looks an op up by its TVMScript name (`exp` for `T.exp`). */
  static byScriptName(name: string): Op | undefined {
    return Op.byScript.get(name);
  }

  static all(): Op[] {
    return [...Op.table.values()];
  }

  toString(): string {
    return this.name;
  }
}

function floatArgs(call: Call): void {
  for (const a of call.args) {
    if (!a.dtype.isFloat()) {
      throw new TypeError(`${(call.op as Op).name}: expects float arguments, got ${a.dtype} (cast integers first, e.g. T.Cast("float32", x))`);
    }
    if (a.dtype !== call.dtype) {
      throw new TypeError(`${(call.op as Op).name}: argument is ${a.dtype} but the call returns ${call.dtype}`);
    }
  }
}

function sameAsResult(call: Call): void {
  for (const a of call.args) {
    if (a.dtype !== call.dtype) {
      throw new TypeError(`${(call.op as Op).name}: argument is ${a.dtype} but the call returns ${call.dtype}`);
    }
  }
}

const unaryMath = [
  "exp", "exp2", "exp10", "log", "log2", "log10", "log1p", "expm1", "sqrt", "rsqrt", "tanh", "sigmoid", "erf",
  "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh",
  "floor", "ceil", "round", "nearbyint", "trunc",
];
for (const n of unaryMath) Op.register(`tir.${n}`, { numArgs: 1, category: "math", check: floatArgs });
for (const n of ["pow", "atan2", "fmod", "copysign", "hypot", "nextafter", "ldexp"]) {
  Op.register(`tir.${n}`, { numArgs: 2, category: "math", check: floatArgs });
}
Op.register("tir.fabs", { numArgs: 1, category: "math", scriptName: "fabs", check: sameAsResult });
for (const n of ["isnan", "isinf", "isfinite"]) {
  Op.register(`tir.${n}`, {
    numArgs: 1,
    category: "math",
    check: (c) => {
      if (!c.dtype.isBool()) throw new TypeError(`tir.${n}: result must be bool`);
    },
  });
}
Op.register("tir.if_then_else", {
  numArgs: 3,
  category: "control",
  check: (c) => {
    if (!c.args[0]!.dtype.isBool()) throw new TypeError(`T.if_then_else: condition must be bool, got ${c.args[0]!.dtype}`);
    if (c.args[1]!.dtype !== c.args[2]!.dtype) {
      throw new TypeError(`T.if_then_else: branch dtypes differ: ${c.args[1]!.dtype} vs ${c.args[2]!.dtype}`);
    }
  },
});
Op.register("tir.likely", { numArgs: 1, category: "control" });
Op.register("tir.reinterpret", {
  numArgs: 1,
  category: "bits",
  check: (c) => {
    const from = c.args[0]!.dtype;
    if (from.bits * from.lanes !== c.dtype.bits * c.dtype.lanes) {
      throw new TypeError(`T.reinterpret: ${from} and ${c.dtype} have different sizes`);
    }
  },
});
for (const n of ["bitwise_and", "bitwise_or", "bitwise_xor", "shift_left", "shift_right"]) {
  Op.register(`tir.${n}`, { numArgs: 2, category: "bits", check: sameAsResult });
}
Op.register("tir.bitwise_not", { numArgs: 1, category: "bits", check: sameAsResult });
Op.register("tir.popcount", { numArgs: 1, category: "bits" });
Op.register("tir.clz", { numArgs: 1, category: "bits" });
Op.register("tir.call_extern", { numArgs: -1, category: "extern", pure: false });
Op.register("tir.call_pure_extern", { numArgs: -1, category: "extern" });
Op.register("tir.ret", { numArgs: 1, category: "control", pure: false });
Op.register("tir.tvm_access_ptr", { numArgs: 5, category: "builtin", pure: false });
Op.register("tir.address_of", { numArgs: 1, category: "builtin" });
Op.register("tir.assume", { numArgs: 1, category: "builtin", pure: false });
Op.register("tir.undef", { numArgs: 0, category: "builtin" });
