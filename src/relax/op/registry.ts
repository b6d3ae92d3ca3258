/**
 * The Relax operator registry. An operator is identified by object (`RelaxOp.get("relax.add")`
 * is always the same instance), knows how its script call is spelled (`R.add`, `R.nn.relu`),
 * which call arguments are expressions and which are attributes (with defaults), and how to
 * infer the StructInfo of a call from its arguments' StructInfo.
 */
import type { Analyzer } from "../../arith/analyzer.js";
import type { GlobalVar, PrimExpr } from "../../ir/expr.js";
import type { BaseFunc } from "../../ir/module.js";
import { Call, type AttrValue, type Attrs, type CallArg, type Expr } from "../expr.js";
import type { StructInfo } from "../struct_info.js";

/** What an inference function may use besides the call itself. */
export interface InferContext {
  readonly analyzer: Analyzer;
  /** The StructInfo of a module function (for calls of GlobalVars). */
  lookupGlobal(gv: GlobalVar): StructInfo | undefined;
  /** The module function itself, when the builder knows the module (call_tir checks PrimFunc arity). */
  lookupFunction(gv: GlobalVar): BaseFunc | undefined;
  /**
   * Records a condition the compiler could neither prove nor refute (e.g. equal element counts
   * in a symbolic reshape); it must be checked at run time.
   */
  deferCheck(condition: PrimExpr, message: string): void;
}

export type InferFn = (call: Call, ctx: InferContext) => StructInfo;

/** An expression parameter: "expr" takes any Relax expression; "shape" also takes a list of dims. */
export interface OpParam {
  readonly name: string;
  readonly kind: "expr" | "shape";
  /** Optional trailing parameter (absent from `args` when not given). */
  readonly optional?: boolean;
  /** The last parameter takes any number of arguments (call_pure_packed). */
  readonly variadic?: boolean;
}

export interface OpSpec {
  readonly params: readonly OpParam[];
  /** Attribute names in print order, with their defaults. */
  readonly attrs?: Readonly<Record<string, AttrValue>>;
  readonly infer: InferFn;
  /** Pure ops may appear in dataflow blocks and be removed when unused. */
  readonly pure?: boolean;
}

export class RelaxOp {
  readonly kind = "Op";
  /** `add`, `nn.relu`: the name after `R.`. */
  readonly scriptName: string;
  readonly params: readonly OpParam[];
  readonly attrDefaults: Readonly<Record<string, AttrValue>>;
  readonly infer: InferFn;
  readonly pure: boolean;

  private constructor(
    readonly name: string,
    spec: OpSpec,
  ) {
    this.scriptName = name.replace(/^relax\./, "");
    this.params = spec.params;
    this.attrDefaults = spec.attrs ?? {};
    this.infer = spec.infer;
    this.pure = spec.pure ?? true;
  }

  private static readonly table = new Map<string, RelaxOp>();
  private static readonly byScript = new Map<string, RelaxOp>();

  static register(name: string, spec: OpSpec): RelaxOp {
    if (RelaxOp.table.has(name)) throw new Error(`Relax operator ${name} is registered twice`);
    const op = new RelaxOp(name, spec);
    RelaxOp.table.set(name, op);
    RelaxOp.byScript.set(op.scriptName, op);
    return op;
  }

  static get(name: string): RelaxOp {
    const op = RelaxOp.table.get(name);
    if (!op) throw new Error(`unknown Relax operator ${name}`);
    return op;
  }

  /** `R.<scriptName>` -> op, or undefined. */
  static byScriptName(scriptName: string): RelaxOp | undefined {
    return RelaxOp.byScript.get(scriptName);
  }

  static all(): RelaxOp[] {
    return [...RelaxOp.table.values()];
  }

  /** Fills in defaults and rejects unknown attributes. */
  completeAttrs(attrs: Attrs): Attrs {
    const out: Record<string, AttrValue> = {};
    for (const k of Object.keys(attrs)) {
      if (!(k in this.attrDefaults)) {
        const known = Object.keys(this.attrDefaults);
        throw new TypeError(`R.${this.scriptName}: unknown attribute '${k}' (it takes ${known.length ? known.join(", ") : "no attributes"})`);
      }
    }
    for (const [k, d] of Object.entries(this.attrDefaults)) out[k] = attrs[k] !== undefined ? attrs[k]! : d;
    return out;
  }

  toString(): string {
    return `R.${this.scriptName}`;
  }
}

/** Checks the argument count of a call against the op's parameters. */
export function checkArity(op: RelaxOp, args: readonly unknown[]): void {
  const required = op.params.filter((p) => !p.optional && !p.variadic).length;
  const variadic = op.params.some((p) => p.variadic);
  if (args.length < required || (!variadic && args.length > op.params.length)) {
    const names = op.params.map((p) => (p.variadic ? `*${p.name}` : p.optional ? `${p.name}?` : p.name)).join(", ");
    throw new TypeError(`R.${op.scriptName} takes (${names}), got ${args.length} argument(s)`);
  }
}

export type { Expr };

/** Builds an (unnormalized) call of a registered op, with attribute defaults filled in. */
export function callOp(name: string, args: readonly CallArg[], attrs: Attrs = {}, sinfoArgs: readonly StructInfo[] = []): Call {
  const op = RelaxOp.get(name);
  checkArity(op, args);
  return new Call(op, args, op.completeAttrs(attrs), sinfoArgs);
}
