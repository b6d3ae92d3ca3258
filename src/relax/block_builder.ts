/**
 * BlockBuilder: builds Relax functions binding by binding, keeping them in normal form.
 *
 * - Scopes: a function frame (`beginFunction` / `endFunction`, or `function(...)`) holds binding
 *   blocks; `dataflow(...)` opens a dataflow block whose variables are DataflowVars and whose
 *   results leave it through `emitOutput`.
 * - `emit` normalizes an expression (every Call gets its StructInfo from its operator's
 *   inference; nested non-leaf arguments are bound to fresh variables first) and binds it.
 * - `matchCast` checks a value against a StructInfo and defines the symbolic vars it introduces.
 * - Names: generated names are unique within a function (`lv`, `lv1`, ..., `gv`, ...).
 * - Shape checks that can be neither proved nor refuted statically are recorded and attached
 *   to the function as its `relax.runtime_checks` attribute, for the VM lowering to emit.
 */
import { Analyzer } from "../arith/analyzer.js";
import { bool } from "../ir/dtype.js";
import { GlobalVar, type PrimExpr, type Var as TirVar } from "../ir/expr.js";
import { IRModule, type BaseFunc } from "../ir/module.js";
import { structuralEqual } from "../ir/structural.js";
import { BindingBlock, DataflowBlock, MatchCast, VarBinding, type Binding } from "./binding.js";
import {
  Call, DataflowVar, Function, If, SeqExpr, Tuple, TupleGetItem, Var, argStructInfo, isLeaf, structInfoOf, type AttrValue,
  type Attrs, type CallArg, type Expr,
} from "./expr.js";
import { sinfoText } from "./op/infer_util.js";
import { RelaxOp, checkArity, type InferContext } from "./op/registry.js";
import {
  baseCheck, eraseToWellDefined, matchSymbolicVars, structInfoVars, substituteStructInfo, unifyStructInfo,
} from "./struct_info_analysis.js";
import { FuncStructInfo, ObjectStructInfo, PrimStructInfo, StructInfo, TensorStructInfo } from "./struct_info.js";

/** A condition recorded for run time, with the message to raise when it fails. */
export interface RuntimeCheck {
  readonly condition: PrimExpr;
  readonly message: string;
}

export const RUNTIME_CHECKS_ATTR = "relax.runtime_checks";

export interface EmitOptions {
  /** Use the name hint as is (the parser keeps the script's names). */
  exactName?: boolean;
  /** The var's StructInfo (an annotation); must be able to hold the value. */
  structInfo?: StructInfo;
}

interface BlockFrame {
  readonly bindings: Binding[];
  readonly isDataflow: boolean;
}

interface FunctionFrame {
  readonly name: string;
  readonly params: readonly Var[];
  readonly blocks: BindingBlock[];
  /** Nested scopes (If branches) keep their blocks here until they close. */
  readonly scopes: BindingBlock[][];
  block: BlockFrame | undefined;
  readonly names: Map<string, number>;
  readonly checks: RuntimeCheck[];
}

export class BlockBuilder implements InferContext {
  readonly analyzer = new Analyzer();
  private functions = new Map<string, [GlobalVar, BaseFunc]>();
  private frame: FunctionFrame | undefined;
  /** For a local function's builder: what the enclosing function had defined when it began. */
  private outerTir: ReadonlySet<TirVar> = new Set();
  private outerVars: ReadonlySet<Var> = new Set();
  /** Symbolic vars defined by the enclosing function's params and match_casts so far. */
  private readonly definedTir = new Set<TirVar>();
  private readonly liveVars = new Set<Var>();
  /** Signatures of functions declared before their bodies exist (forward calls in a module). */
  private signatures = new Map<string, FuncStructInfo>();

  constructor(module?: IRModule) {
    if (module) for (const [g, f] of module.entries()) this.functions.set(g.name, [g, f]);
  }

  // ------------------------------------------------------------ InferContext

  lookupGlobal(gv: GlobalVar): StructInfo | undefined {
    const f = this.functions.get(gv.name)?.[1];
    if (!f) return this.signatures.get(gv.name);
    return f instanceof Function ? f.structInfo : FuncStructInfo.opaque();
  }

  lookupFunction(gv: GlobalVar): BaseFunc | undefined {
    return this.functions.get(gv.name)?.[1];
  }

  deferCheck(condition: PrimExpr, message: string): void {
    const f = this.frame;
    if (!f) return;
    if (f.checks.some((c) => c.message === message && structuralEqual(c.condition, condition))) return;
    f.checks.push({ condition, message });
  }

  /** Checks recorded so far in the open function. */
  get runtimeChecks(): readonly RuntimeCheck[] {
    return this.frame?.checks ?? [];
  }

  // ------------------------------------------------------------ module

  /** Adds (or replaces) a module function; returns its GlobalVar. */
  addFunction(func: BaseFunc, nameOrVar: string | GlobalVar): GlobalVar {
    const name = typeof nameOrVar === "string" ? nameOrVar : nameOrVar.name;
    const old = this.functions.get(name);
    const gv = typeof nameOrVar === "string" ? (old?.[0] ?? new GlobalVar(name)) : nameOrVar;
    this.functions.set(name, [gv, func]);
    return gv;
  }

  /** Declares the signature of a function whose body comes later, so calls to it infer. */
  declareFunction(name: string, sinfo: FuncStructInfo): void {
    this.signatures.set(name, sinfo);
  }

  getGlobalVar(name: string): GlobalVar {
    const f = this.functions.get(name);
    if (!f) throw new Error(`BlockBuilder: the module has no function "${name}" (it has: ${[...this.functions.keys()].join(", ") || "none"})`);
    return f[0];
  }

  getModule(): IRModule {
    return new IRModule([...this.functions.values()]);
  }

  /**
   * A builder for a local function (a closure) inside the function open here: it shares this
   * module, and its body may use the vars and symbolic vars defined here so far.
   */
  local(): BlockBuilder {
    this.requireFrame("local");
    const c = new BlockBuilder();
    c.functions = this.functions;
    c.signatures = this.signatures;
    c.outerTir = new Set(this.definedTir);
    c.outerVars = new Set(this.liveVars);
    return c;
  }

  // ------------------------------------------------------------ scopes

  beginFunction(name: string, params: readonly Var[]): void {
    if (this.frame) throw new Error(`BlockBuilder: function "${this.frame.name}" is still open; end it before beginning "${name}"`);
    this.frame = { name, params, blocks: [], scopes: [], block: undefined, names: new Map(), checks: [] };
    this.definedTir.clear();
    this.liveVars.clear();
    for (const v of this.outerTir) this.definedTir.add(v);
    for (const v of this.outerVars) this.liveVars.add(v);
    for (const p of params) {
      if (p instanceof DataflowVar) throw new TypeError(`BlockBuilder: parameter '${p.name}' of "${name}" cannot be a DataflowVar`);
      for (const v of structInfoVars(p.structInfo)) this.definedTir.add(v);
      this.liveVars.add(p);
      this.reserveName(p.name);
    }
  }

  /**
   * Closes the function: `result` becomes the body's value (bound to a var first unless a leaf).
   * `retStructInfo` defaults to the result's, with symbolic vars the caller cannot see erased.
   */
  endFunction(result: Expr, opts: { retStructInfo?: StructInfo; attrs?: Attrs; isPure?: boolean; private?: boolean } = {}): Function {
    const f = this.requireFrame("endFunction");
    if (f.block?.isDataflow) throw new Error(`BlockBuilder: end the dataflow block of "${f.name}" before ending the function`);
    const body = this.normalizeArg(result);
    this.closeBlock();
    const seq = new SeqExpr(f.blocks, body);
    // What a caller can see: the params, and for a local function what encloses it.
    const params = new Set<TirVar>(this.outerTir);
    for (const p of f.params) for (const v of structInfoVars(p.structInfo)) params.add(v);
    const inferred = eraseToWellDefined(structInfoOf(body), (v) => params.has(v), (e) => f.params.includes(e as Var) || this.outerVars.has(e as Var));
    let ret = inferred;
    if (opts.retStructInfo) {
      if (baseCheck(opts.retStructInfo, structInfoOf(body), this.analyzer) === "fail") {
        throw new TypeError(
          `BlockBuilder: function "${f.name}" returns ${sinfoText(structInfoOf(body))}, which can never be its declared return type ${sinfoText(opts.retStructInfo)}`,
        );
      }
      ret = opts.retStructInfo;
    }
    const attrs: Record<string, AttrValue> = { ...(opts.attrs ?? {}) };
    if (!opts.private && !("global_symbol" in attrs)) attrs["global_symbol"] = f.name;
    if (f.checks.length > 0) attrs[RUNTIME_CHECKS_ATTR] = mergeChecks(attrs[RUNTIME_CHECKS_ATTR], f.checks);
    this.frame = undefined;
    this.definedTir.clear();
    this.liveVars.clear();
    return new Function(f.params, seq, ret, opts.isPure ?? true, attrs);
  }

  /** Builds a whole function: `body` emits bindings and returns the result. Adds it to the module. */
  function(name: string, params: readonly Var[], body: (bb: BlockBuilder) => Expr, opts: { retStructInfo?: StructInfo; attrs?: Attrs; private?: boolean } = {}): Function {
    this.beginFunction(name, params);
    let fn: Function;
    try {
      fn = this.endFunction(body(this), opts);
    } finally {
      this.frame = undefined;
    }
    this.addFunction(fn, name);
    return fn;
  }

  beginDataflow(): void {
    const f = this.requireFrame("beginDataflow");
    if (f.block?.isDataflow) throw new Error("BlockBuilder: dataflow blocks cannot nest");
    this.closeBlock();
    f.block = { bindings: [], isDataflow: true };
  }

  endDataflow(): void {
    const f = this.requireFrame("endDataflow");
    if (!f.block?.isDataflow) throw new Error("BlockBuilder: endDataflow without an open dataflow block");
    for (const b of f.block.bindings) if (b.variable instanceof DataflowVar) this.liveVars.delete(b.variable);
    this.closeBlock();
  }

  /** Runs `body` inside a dataflow block; returns what it returns. */
  dataflow<T>(body: () => T): T {
    this.beginDataflow();
    const r = body();
    this.endDataflow();
    return r;
  }

  get inDataflow(): boolean {
    return this.frame?.block?.isDataflow ?? false;
  }

  // ------------------------------------------------------------ bindings

  /** Normalizes `expr` and binds it to a fresh var (a DataflowVar inside a dataflow block). */
  emit(expr: Expr, nameHint?: string, opts: EmitOptions = {}): Var {
    const value = this.normalize(expr);
    const f = this.requireFrame("emit");
    const df = f.block?.isDataflow ?? false;
    if (df) this.checkPure(value);
    const name = opts.exactName && nameHint ? nameHint : this.uniqueName(nameHint ?? (df ? "lv" : "gv"));
    const sinfo = this.annotated(value, name, opts.structInfo);
    const v = df ? new DataflowVar(name, sinfo) : new Var(name, sinfo);
    this.push(new VarBinding(v, value));
    return v;
  }

  /** Inside a dataflow block: binds `expr` to a var visible after the block. */
  emitOutput(expr: Expr, nameHint?: string, opts: EmitOptions = {}): Var {
    const f = this.requireFrame("emitOutput");
    if (!f.block?.isDataflow) throw new Error("BlockBuilder.emitOutput: only valid inside a dataflow block (use emit outside)");
    const value = this.normalize(expr);
    this.checkPure(value);
    const name = opts.exactName && nameHint ? nameHint : this.uniqueName(nameHint ?? "gv");
    const v = new Var(name, this.annotated(value, name, opts.structInfo));
    this.push(new VarBinding(v, value));
    return v;
  }

  /** The var's StructInfo: the annotation when it can hold the value, else the inferred one. */
  private annotated(value: Expr, name: string, ann: StructInfo | undefined): StructInfo {
    const have = structInfoOf(value);
    if (!ann) return have;
    if (baseCheck(ann, have, this.analyzer) === "fail") {
      throw new TypeError(`BlockBuilder: '${name}' is annotated ${sinfoText(ann)} but its value is ${sinfoText(have)}`);
    }
    return ann;
  }

  /**
   * Binds `value` cast to `sinfo`: the run time checks the value matches; symbolic vars `sinfo`
   * mentions for the first time are defined by it.
   */
  matchCast(value: Expr, sinfo: StructInfo, nameHint?: string, opts: { exactName?: boolean } = {}): Var {
    const v0 = this.normalizeArg(value);
    const have = structInfoOf(v0);
    const fresh = structInfoVars(sinfo).filter((t) => !this.definedTir.has(t));
    for (const t of fresh) this.definedTir.add(t);
    // Only the already-defined vars can be compared statically.
    if (fresh.length === 0 && baseCheck(sinfo, have, this.analyzer) === "fail" && baseCheck(have, sinfo, this.analyzer) === "fail") {
      throw new TypeError(`BlockBuilder.matchCast: a value of ${sinfoText(have)} can never match ${sinfoText(sinfo)}`);
    }
    if (sinfo.kind !== have.kind && !(have instanceof ObjectStructInfo) && !(sinfo instanceof ObjectStructInfo)) {
      throw new TypeError(`BlockBuilder.matchCast: a value of ${sinfoText(have)} can never match ${sinfoText(sinfo)}`);
    }
    const f = this.requireFrame("matchCast");
    const df = f.block?.isDataflow ?? false;
    const name = opts.exactName && nameHint ? nameHint : this.uniqueName(nameHint ?? (df ? "lv" : "gv"));
    const v = df ? new DataflowVar(name, sinfo) : new Var(name, sinfo);
    this.push(new MatchCast(v, v0, sinfo));
    return v;
  }

  /**
   * Appends a binding that is already in normal form, keeping its variable: passes that rebuild
   * a function keep the vars of the bindings they do not change. A match_cast defines the
   * symbolic vars its struct info mentions for the first time.
   */
  emitBinding(b: Binding): Var {
    const f = this.requireFrame("emitBinding");
    const df = f.block?.isDataflow ?? false;
    if (b.variable instanceof DataflowVar && !df) {
      throw new Error(`BlockBuilder.emitBinding: dataflow var '${b.variable.name}' can only be bound inside a dataflow block`);
    }
    if (!b.value.structInfo) throw new TypeError(`BlockBuilder.emitBinding: the value of '${b.variable.name}' is not normalized`);
    if (df) this.checkPure(b.value);
    if (b instanceof MatchCast) for (const t of structInfoVars(b.structInfo)) this.definedTir.add(t);
    this.push(b);
    return b.variable;
  }

  /** Whether a symbolic var is defined here (by a parameter or an earlier match_cast). */
  isDefinedSymbol(v: TirVar): boolean {
    return this.definedTir.has(v);
  }

  // ------------------------------------------------------------ normalization

  /** Gives `expr` and everything in it StructInfo, binding nested non-leaf expressions first. */
  normalize(expr: Expr): Expr {
    switch (expr.kind) {
      case "relax.Var":
      case "relax.DataflowVar":
        this.checkVisible(expr as Var);
        return expr;
      case "relax.Tuple": {
        const t = expr as Tuple;
        const fields = t.fields.map((x) => this.normalizeArg(x));
        return fields.every((x, i) => x === t.fields[i]) && t.structInfo ? t : new Tuple(fields);
      }
      case "relax.TupleGetItem": {
        const t = expr as TupleGetItem;
        const tuple = this.normalizeArg(t.tuple);
        return tuple === t.tuple && t.structInfo ? t : new TupleGetItem(tuple, t.index);
      }
      case "relax.Call":
        return this.normalizeCall(expr as Call);
      case "relax.If":
        return this.normalizeIf(expr as If);
      case "relax.SeqExpr": {
        const s = expr as SeqExpr;
        if (!s.structInfo) throw new TypeError("BlockBuilder.normalize: a SeqExpr must be built from normalized bindings");
        return s;
      }
      default:
        return expr;
    }
  }

  /** A call argument in normal form: leaves stay, anything else is bound to a fresh var. */
  normalizeArg(expr: Expr): Expr {
    if (expr.kind === "relax.Tuple") return this.normalize(expr);
    if (isLeaf(expr)) return this.normalize(expr);
    return this.emit(expr);
  }

  private normalizeCall(call: Call): Call {
    const args: CallArg[] = call.args.map((a) => (a instanceof GlobalVar ? a : this.normalizeArg(a)));
    let op = call.op;
    if (!(op instanceof RelaxOp) && !(op instanceof GlobalVar)) op = this.normalizeArg(op);
    const same = args.every((a, i) => a === call.args[i]) && op === call.op;
    const c = same ? call : new Call(op, args, call.attrs, call.sinfoArgs);
    if (call.structInfo && same) return call;
    return c.withStructInfo(this.inferCall(c));
  }

  private inferCall(call: Call): StructInfo {
    const op = call.op;
    if (op instanceof RelaxOp) {
      checkArity(op, call.args);
      return op.infer(call, this);
    }
    const fs = op instanceof GlobalVar ? this.lookupGlobal(op) : structInfoOf(op);
    if (fs === undefined) {
      throw new TypeError(`BlockBuilder: call of @${(op as GlobalVar).name}, which the module does not define (add it with addFunction first)`);
    }
    if (!(fs instanceof FuncStructInfo)) throw new TypeError(`BlockBuilder: calling a value that is not a function (${sinfoText(fs)})`);
    if (!fs.params) return fs.ret;
    const callee = op instanceof GlobalVar ? `@${op.name}` : op instanceof Var ? `'${op.name}'` : "the callee";
    if (fs.params.length !== call.args.length) {
      throw new TypeError(`BlockBuilder: ${callee} takes ${fs.params.length} argument(s), got ${call.args.length}`);
    }
    const vmap = new Map<TirVar, PrimExpr>();
    fs.params.forEach((p, i) => matchSymbolicVars(p, argStructInfo(call.args[i]!), vmap));
    fs.params.forEach((p, i) => {
      const a = argStructInfo(call.args[i]!);
      if (baseCheck(substituteStructInfo(p, vmap, this.analyzer), a, this.analyzer) === "fail") {
        throw new TypeError(`BlockBuilder: argument ${i} of ${callee} is ${sinfoText(a)}, which can never match the parameter's ${sinfoText(p)}`);
      }
    });
    // A callee dim that no argument determines (the argument's shape is unknown) is unknown here.
    const own = new Set(fs.params.flatMap((p) => structInfoVars(p)));
    return eraseToWellDefined(substituteStructInfo(fs.ret, vmap, this.analyzer), (v) => !own.has(v) || vmap.has(v));
  }

  private normalizeIf(e: If): If {
    const cond = this.normalizeArg(e.cond);
    const cs = structInfoOf(cond);
    const okCond = (cs instanceof PrimStructInfo && cs.dtype === bool) || (cs instanceof TensorStructInfo && (cs.isUnknownDtype || cs.dtype === bool) && cs.ndim <= 0);
    if (!okCond) throw new TypeError(`BlockBuilder: the condition of an If must be a bool scalar (R.Prim("bool") or a 0-d bool tensor), got ${sinfoText(cs)}`);
    const t = this.branch(e.trueBranch), f = this.branch(e.falseBranch);
    const defined = new Set(this.definedTir);
    const join = unifyStructInfo(structInfoOf(t), structInfoOf(f), this.analyzer);
    const sinfo = eraseToWellDefined(join, (v) => defined.has(v), (x) => this.liveVars.has(x as Var));
    return new If(cond, t, f, sinfo);
  }

  /** Normalizes an If branch in its own scope, as a SeqExpr. */
  branch(e: Expr): SeqExpr {
    if (e instanceof SeqExpr && e.structInfo) return e;
    return this.scope(() => e);
  }

  /**
   * Runs `body` in a nested scope (an If branch); bindings it emits form the SeqExpr's blocks
   * and the returned expression its result. Vars and symbolic vars defined inside stay inside.
   */
  scope(body: () => Expr): SeqExpr {
    const f = this.requireFrame("scope");
    if (f.block?.isDataflow) throw new Error("BlockBuilder: an If cannot appear inside a dataflow block");
    this.closeBlock();
    f.scopes.push(f.blocks.splice(0));
    const savedTir = new Set(this.definedTir), savedVars = new Set(this.liveVars);
    try {
      const result = this.normalizeArg(body());
      this.closeBlock();
      const blocks = f.blocks.splice(0);
      const sinfo = eraseToWellDefined(structInfoOf(result), (v) => savedTir.has(v), (x) => savedVars.has(x as Var));
      return new SeqExpr(blocks, result, sinfo);
    } finally {
      f.blocks.push(...f.scopes.pop()!);
      this.definedTir.clear();
      for (const v of savedTir) this.definedTir.add(v);
      this.liveVars.clear();
      for (const v of savedVars) this.liveVars.add(v);
    }
  }

  // ------------------------------------------------------------ helpers

  private requireFrame(what: string): FunctionFrame {
    if (!this.frame) throw new Error(`BlockBuilder.${what}: no function is open (call beginFunction or function first)`);
    return this.frame;
  }

  private push(b: Binding): void {
    const f = this.frame!;
    f.block ??= { bindings: [], isDataflow: false };
    f.block.bindings.push(b);
    this.liveVars.add(b.variable);
    this.reserveName(b.variable.name);
  }

  private closeBlock(): void {
    const f = this.frame;
    if (!f?.block) return;
    if (f.block.bindings.length > 0) f.blocks.push(f.block.isDataflow ? new DataflowBlock(f.block.bindings) : new BindingBlock(f.block.bindings));
    f.block = undefined;
  }

  private checkPure(value: Expr): void {
    if (value instanceof Call && value.op instanceof RelaxOp && !value.op.pure) {
      throw new TypeError(`BlockBuilder: R.${value.op.scriptName} has side effects and cannot appear in a dataflow block`);
    }
  }

  private checkVisible(v: Var): void {
    if (!this.frame || this.liveVars.has(v)) return;
    if (v instanceof DataflowVar) {
      throw new Error(`BlockBuilder: dataflow var '${v.name}' is used outside its dataflow block; bind it with emitOutput to use it afterwards`);
    }
  }

  private reserveName(name: string): void {
    const f = this.frame;
    if (f && !f.names.has(name)) f.names.set(name, 0);
  }

  /** `hint`, or `hint1`, `hint2`, ... when taken in this function. */
  uniqueName(hint: string): string {
    const f = this.requireFrame("uniqueName");
    if (!f.names.has(hint)) {
      f.names.set(hint, 0);
      return hint;
    }
    let k = f.names.get(hint)! + 1;
    while (f.names.has(`${hint}${k}`)) k++;
    f.names.set(hint, k);
    const name = `${hint}${k}`;
    f.names.set(name, 0);
    return name;
  }
}


function mergeChecks(existing: AttrValue | undefined, checks: readonly RuntimeCheck[]): AttrValue {
  const out: { condition: PrimExpr; message: string }[] = [];
  if (Array.isArray(existing)) for (const e of existing) out.push(e as { condition: PrimExpr; message: string });
  for (const c of checks) {
    if (!out.some((o) => o.message === c.message && structuralEqual(o.condition, c.condition))) out.push({ condition: c.condition, message: c.message });
  }
  return out;
}
