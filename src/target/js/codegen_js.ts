/**
 * The `js` target's renderer: a lowered PrimFunc (no blocks; Allocate / DeclBuffer; For,
 * While, IfThenElse, LetStmt, AssertStmt; vector Ramp / Broadcast code) becomes the source of
 * one JavaScript function `(args, syms) => ret`, compiled with `new Function` (no Node-only API).
 *
 * Semantics follow the reference interpreter exactly (tir/interp), so results are equal bit
 * for bit: int32 arithmetic wraps (`|0`, Math.imul), floor division/modulo round toward minus
 * infinity, every float32 result goes through Math.fround, float16/bfloat16 round in software,
 * other dtypes (int8/16, unsigned, 64-bit) use the interpreter's own per-dtype functions,
 * min/max are `a < b ? a : b`, float -> int casts truncate (NaN/inf give 0), math intrinsics
 * run in double precision and round to the result dtype. Vectors are expanded lane by lane;
 * scalar parts of vector expressions (ramp bases, broadcast values) are computed once per
 * statement. Every loop kind runs serially. Allocations with constant extents are made once,
 * when the function is compiled, and reused by every call.
 *
 * Differences from the interpreter (the interpreter is the checker; kernels do not check):
 * no bounds checks, integer division by zero gives 0 instead of an error, shift amounts are
 * not range-checked, temporaries start as zeros (the interpreter fills floats with NaN).
 */
import type { Buffer } from "../../ir/buffer.js";
import type { DataType } from "../../ir/dtype.js";
import type {
  And, BinaryOp, Broadcast, BufferLoad, Call, Cast, CmpOp, FloatImm, IntImm, Let, Not, Or, PrimExpr, Ramp, Select, Shuffle,
  StringImm, Var,
} from "../../ir/expr.js";
import type { Op } from "../../ir/op_registry.js";
import type { PrimFunc } from "../../tir/function.js";
import type {
  Allocate, AssertStmt, AttrStmt, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar, LetStmt, SeqStmt, Stmt, While,
} from "../../tir/stmt.js";
import { storageClass } from "../../tir/interp/host_array.js";
import { reinterpretFn } from "../../tir/interp/math.js";
import { normalizer } from "../../tir/interp/scalar_ops.js";
import { jsImport } from "../kernel_imports.js";
import { instantiateJsKernel, type JsKernel } from "./js_kernel.js";

export class CodegenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CodegenError";
  }
}

export type { JsKernel };

export interface JsFunction {
  readonly name: string;
  /** The factory source: `new Function("C", source)(functions)` returns the kernel (js_kernel.ts). */
  readonly source: string;
  /** Recipes of the functions the factory receives (src/target/kernel_imports.ts). */
  readonly recipes: readonly string[];
  readonly kernel: JsKernel;
}

const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if " +
    "import in instanceof new null return super switch this throw true try typeof var void while with yield let static " +
    "implements interface package private protected public await arguments eval undefined NaN Infinity Math args syms C " +
    "Int8Array Int16Array Int32Array Uint8Array Uint16Array Uint32Array Float32Array Float64Array Object Array Number Error")
    .split(" "),
);

/** Math functions: inline JavaScript, or a recipe of src/target/kernel_imports.ts. */
const floatUnaryJs: Record<string, string | { recipe: string }> = {
  exp: "Math.exp", log: "Math.log", log2: "Math.log2", log10: "Math.log10", log1p: "Math.log1p", expm1: "Math.expm1",
  sqrt: "Math.sqrt", tanh: "Math.tanh", sin: "Math.sin", cos: "Math.cos", tan: "Math.tan", asin: "Math.asin",
  acos: "Math.acos", atan: "Math.atan", sinh: "Math.sinh", cosh: "Math.cosh", asinh: "Math.asinh", acosh: "Math.acosh",
  atanh: "Math.atanh", floor: "Math.floor", ceil: "Math.ceil", trunc: "Math.trunc",
  exp2: { recipe: "unary:exp2" },
  exp10: { recipe: "unary:exp10" },
  rsqrt: { recipe: "unary:rsqrt" },
  sigmoid: { recipe: "unary:sigmoid" },
  erf: { recipe: "unary:erf" },
  round: { recipe: "round_half_even" },
  nearbyint: { recipe: "round_half_even" },
};
const floatBinaryJs: Record<string, string | { recipe: string }> = {
  pow: { recipe: "binary:pow" }, atan2: "Math.atan2", copysign: { recipe: "copysign" }, hypot: "Math.hypot", ldexp: { recipe: "binary:ldexp" },
};

function numLiteral(v: number): string {
  if (v !== v) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "(-Infinity)";
  if (Object.is(v, -0)) return "(-0)";
  const s = String(v);
  return v < 0 ? `(${s})` : s;
}

function isLeaf(e: PrimExpr): boolean {
  return e.kind === "IntImm" || e.kind === "FloatImm" || ((e.kind === "Var" || e.kind === "SizeVar") && e.dtype.lanes === 1);
}

/** A JS expression wrapping `x` (a JS expression string) into dtype `t`'s value set, when inline. */
function inlineNorm(t: DataType, x: string): string | undefined {
  const e = t.element();
  if (e.isBool()) return `(${x} ? 1 : 0)`;
  if (e.isFloat()) return e.bits === 32 ? `Math.fround(${x})` : e.bits === 64 ? x : undefined;
  if (e.bits > 32) return undefined;
  if (e.isInt()) return e.bits === 32 ? `(${x} | 0)` : `((${x} << ${32 - e.bits}) >> ${32 - e.bits})`;
  return e.bits === 32 ? `(${x} >>> 0)` : `(${x} & ${2 ** e.bits - 1})`;
}

interface BufferInfo {
  readonly data: string;
}

export class JsCodegen {
  private readonly lines: string[] = [];
  private readonly factory: string[] = [];
  private indent = 1;
  private readonly names = new Map<Var, string | string[]>();
  private readonly taken = new Set<string>();
  /** Recipes of the functions the factory receives, in order (C[0], C[1], ...). */
  readonly recipes: string[] = [];
  private readonly constName = new Map<string, string>();
  private pre: string[] | undefined;
  private memo = new Map<PrimExpr, string>();
  private tmp = 0;

  constructor(
    private readonly func: PrimFunc,
    private readonly fname: string,
    private readonly symbolOf: ReadonlyMap<Var, number>,
  ) {}

  private fail(msg: string): never {
    throw new CodegenError(`js codegen, function ${this.fname}: ${msg}`);
  }

  // ---- names and constants -------------------------------------------------------------

  private fresh(hint: string): string {
    let base = hint.replace(/[^A-Za-z0-9_$]/g, "_");
    if (!/^[A-Za-z_]/.test(base)) base = `v_${base}`;
    if (RESERVED.has(base) || base.startsWith("$")) base = `${base}_`;
    let name = base;
    for (let k = 1; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  private bind(v: Var, hint = v.name): string {
    const n = this.fresh(hint);
    this.names.set(v, n);
    return n;
  }

  /** The name of a kernel function (a recipe of src/target/kernel_imports.ts) handed to the factory. */
  private konst(recipe: string): string {
    let n = this.constName.get(recipe);
    if (n) return n;
    const k = this.recipes.length;
    n = `$${recipe.slice(0, 40).replace(/[^A-Za-z0-9_]/g, "_")}_${k}`;
    jsImport(recipe); // an unknown recipe is a code generator bug: fail here, not in the factory
    this.factory.push(`const ${n} = C[${k}];`);
    this.recipes.push(recipe);
    this.constName.set(recipe, n);
    return n;
  }

  private emit(line: string): void {
    this.lines.push("  ".repeat(this.indent) + line);
  }

  private newTmp(): string {
    return `t${this.tmp++}`;
  }

  /** Runs `f` with a fresh statement prelude and emits the prelude before returning f's result. */
  private withPre<T>(f: () => T): T {
    const outer = this.pre, outerMemo = this.memo;
    this.pre = [];
    this.memo = new Map();
    const r = f();
    const pre = this.pre;
    this.pre = outer;
    this.memo = outerMemo;
    for (const l of pre) this.emit(l);
    return r;
  }

  /** A scalar expression computed once (per statement) into a temporary. */
  private hoist(e: PrimExpr): string {
    if (isLeaf(e)) return this.expr(e);
    const hit = this.memo.get(e);
    if (hit) return hit;
    const v = this.expr(e);
    const t = this.newTmp();
    this.pre!.push(`const ${t} = ${v};`);
    this.memo.set(e, t);
    return t;
  }

  // ---- function ----------------------------------------------------------------------------

  generate(): string {
    const f = this.func;
    this.taken.add(this.fname);
    const prologue: string[] = [];
    f.params.forEach((p, i) => {
      const b = f.bufferMap.get(p);
      if (b) {
        const n = this.bind(p, b.name);
        this.names.set(b.data, n);
        prologue.push(`const ${n} = args[${i}].data;`);
        if (b.elemOffset.kind === "Var" && !this.names.has(b.elemOffset as Var)) {
          prologue.push(`const ${this.bind(b.elemOffset as Var)} = 0;`);
        }
        return;
      }
      const n = this.bind(p);
      const t = p.dtype;
      let v = `args[${i}]`;
      if (t.isBool()) v = `(${v} ? 1 : 0)`;
      else if (t.isFloat()) v = inlineNorm(t, `+${v}`) ?? `${this.konst(`norm:${t}`)}(+${v})`;
      prologue.push(`const ${n} = ${v};`);
    });
    for (const [v, k] of this.symbolOf) {
      if (this.names.has(v)) continue;
      prologue.push(`const ${this.bind(v)} = syms[${k}];`);
    }
    for (const l of prologue) this.emit(l);
    this.stmt(f.body);
    const fnName = this.fresh(this.fname);
    return [
      '"use strict";',
      ...this.factory,
      `return function ${fnName}(args, syms) {`,
      ...this.lines,
      "};",
    ].join("\n");
  }

  // ---- statements -----------------------------------------------------------------------

  private block(body: Stmt): void {
    this.indent++;
    this.stmt(body);
    this.indent--;
  }

  private stmt(s: Stmt): void {
    switch (s.kind) {
      case "SeqStmt":
        for (const x of (s as SeqStmt).seq) this.stmt(x);
        return;
      case "Evaluate":
        return this.evaluate(s as Evaluate);
      case "BufferStore":
        return this.store(s as BufferStore);
      case "For":
        return this.forLoop(s as For);
      case "While": {
        const w = s as While;
        this.emit("for (;;) {");
        this.indent++;
        const c = this.withPre(() => this.expr(w.condition));
        this.emit(`if (!${c}) break;`);
        this.stmt(w.body);
        this.indent--;
        this.emit("}");
        return;
      }
      case "IfThenElse": {
        const i = s as IfThenElse;
        const c = this.withPre(() => this.scalar(i.condition, "condition of an if statement"));
        this.emit(`if (${c}) {`);
        this.block(i.thenCase);
        if (i.elseCase) {
          this.emit("} else {");
          this.block(i.elseCase);
        }
        this.emit("}");
        return;
      }
      case "LetStmt": {
        const l = s as LetStmt;
        this.letBinding(l.variable, l.value);
        this.stmt(l.body);
        return;
      }
      case "AttrStmt":
        return this.attr(s as AttrStmt);
      case "AssertStmt": {
        const a = s as AssertStmt;
        const c = this.withPre(() => this.scalar(a.condition, "condition of an assert"));
        const fail = this.konst("assert_fail");
        this.emit(`if (!${c}) ${fail}(${JSON.stringify(`${this.fname}: ${a.message.value}`)});`);
        this.stmt(a.body);
        return;
      }
      case "Allocate":
        return this.allocate(s as Allocate);
      case "DeclBuffer": {
        const d = s as DeclBuffer;
        if (!this.names.has(d.buffer.data)) this.fail(`DeclBuffer ${d.buffer.name}: its data var ${d.buffer.data.name} is not defined here`);
        this.stmt(d.body);
        return;
      }
      case "Block":
      case "BlockRealize":
        this.fail(`found a block; the js target expects a lowered PrimFunc (no blocks): run lower() first (build does)`);
      default:
        this.fail(`cannot generate code for statements of kind ${s.kind}`);
    }
  }

  private letBinding(v: Var, value: PrimExpr): void {
    if (v.dtype.isHandle()) {
      if (value.kind !== "Var" || !this.names.has(value as Var)) this.fail(`let ${v.name}: only handle variables can be bound to handles`);
      this.names.set(v, this.names.get(value as Var)!);
      return;
    }
    const lanes = v.dtype.lanes;
    if (lanes === 1) {
      const x = this.withPre(() => this.expr(value));
      this.emit(`const ${this.bind(v)} = ${x};`);
      return;
    }
    const ls = this.withPre(() => Array.from({ length: lanes }, (_, l) => this.expr(value, l)));
    const names = ls.map((x, l) => {
      const n = this.fresh(`${v.name}_l${l}`);
      this.emit(`const ${n} = ${x};`);
      return n;
    });
    this.names.set(v, names);
  }

  private evaluate(e: Evaluate): void {
    const v = e.value;
    if (v.kind === "IntImm" || v.kind === "FloatImm" || v.kind === "StringImm") return;
    if (v.kind === "Call") {
      const c = v as Call;
      const op = c.op.kind === "Op" ? shortName(c.op as Op) : "";
      if (op === "ret") {
        const x = this.withPre(() => this.expr(c.args[0]!));
        this.emit(`return ${x};`);
        return;
      }
      if (op === "assume" || op === "likely") return;
    }
    const x = this.withPre(() => (v.dtype.lanes === 1 ? this.expr(v) : Array.from({ length: v.dtype.lanes }, (_, l) => this.expr(v, l)).join(", ")));
    this.emit(`${x};`);
  }

  private forLoop(l: For): void {
    const [lo, hi, st] = this.withPre(() => {
      const lo = this.hoist(l.min);
      const ext = this.scalar(l.extent, `extent of loop ${l.loopVar.name}`);
      const hi = l.min.kind === "IntImm" && l.extent.kind === "IntImm"
        ? String((l.min as IntImm).value + (l.extent as IntImm).value)
        : lo === "0" ? ext : `${lo} + ${ext}`;
      const st = l.step ? this.scalar(l.step, `step of loop ${l.loopVar.name}`) : undefined;
      return [lo, hi, st] as const;
    });
    const v = this.bind(l.loopVar);
    const end = this.fresh(`${v}_end`);
    const inc = st === undefined || st === "1" ? `${v}++` : `${v} += ${st}`;
    this.emit(`for (let ${v} = ${lo}, ${end} = ${hi}; ${v} < ${end}; ${inc}) {`);
    this.block(l.body);
    this.emit("}");
  }

  private attr(a: AttrStmt): void {
    const node = a.node;
    if ((a.attrKey === "thread_extent" || a.attrKey === "virtual_thread") && typeof node === "object" && node.kind === "IterVar") {
      const iv = (node as IterVar).variable;
      if (this.names.has(iv)) {
        this.stmt(a.body);
        return;
      }
      const ext = this.withPre(() => this.scalar(a.value, `${a.attrKey} of ${iv.name}`));
      const v = this.bind(iv);
      this.emit(`for (let ${v} = 0; ${v} < ${ext}; ${v}++) {`);
      this.block(a.body);
      this.emit("}");
      return;
    }
    this.stmt(a.body);
  }

  private allocate(a: Allocate): void {
    const C = storageClass(a.dtype);
    const name = this.bind(a.bufferVar);
    if (a.extents.every((e) => e.kind === "IntImm")) {
      const n = a.extents.reduce((acc, e) => acc * (e as IntImm).value, a.dtype.lanes);
      this.factory.push(`const ${name} = new ${C.name}(${n});`);
    } else {
      const n = this.withPre(() => a.extents.map((e) => `(${this.scalar(e, `extent of allocation ${a.bufferVar.name}`)})`).join(" * "));
      this.emit(`const ${name} = new ${C.name}(${a.dtype.lanes > 1 ? `${a.dtype.lanes} * ` : ""}${n});`);
    }
    this.stmt(a.body);
  }

  private store(s: BufferStore): void {
    const b = s.buffer;
    const data = this.bufferData(b);
    const idxLanes = Math.max(1, ...s.indices.map((i) => i.dtype.lanes));
    const bl = b.dtype.lanes;
    const total = idxLanes * bl;
    const lines = this.withPre(() => {
      if (total === 1 && !s.predicate) {
        const v = this.expr(s.value);
        return [`${data}[${this.offset(b, s.indices, 0)}] = ${v};`];
      }
      const vals: string[] = [];
      for (let m = 0; m < total; m++) {
        const t = this.newTmp();
        this.pre!.push(`const ${t} = ${this.expr(s.value, m)};`);
        vals.push(t);
      }
      const out: string[] = [];
      for (let m = 0; m < total; m++) {
        const l = Math.floor(m / bl), k = m % bl;
        const base = this.offset(b, s.indices, l);
        const pos = bl === 1 ? base : `(${base}) * ${bl} + ${k}`;
        const pred = this.predicateLane(s.predicate, l, m, idxLanes, total);
        out.push(pred ? `if (${pred}) ${data}[${pos}] = ${vals[m]};` : `${data}[${pos}] = ${vals[m]};`);
      }
      return out;
    });
    for (const l of lines) this.emit(l);
  }

  // ---- buffers ----------------------------------------------------------------------------

  private bufferData(b: Buffer): string {
    const n = this.names.get(b.data);
    if (typeof n !== "string") this.fail(`buffer ${b.name}: its data var ${b.data.name} is not defined here`);
    return n;
  }

  /** The element offset (before the dtype's lanes) of lane `l` of the indices. */
  private offset(b: Buffer, indices: readonly PrimExpr[], l: number): string {
    const vector = indices.some((i) => i.dtype.lanes > 1);
    const idx = indices.map((i) => (i.dtype.lanes > 1 ? this.expr(i, l) : vector ? this.hoist(i) : this.expr(i)));
    let off: string;
    if (b.strides.length) {
      off = idx.map((x, d) => {
        const s = b.strides[d]!;
        return s.kind === "IntImm" && (s as IntImm).value === 1 ? x : `${x} * ${this.hoist(s)}`;
      }).join(" + ");
    } else {
      off = idx[0] ?? "0";
      for (let d = 1; d < idx.length; d++) off = `(${off}) * ${this.hoist(b.shape[d]!)} + ${idx[d]}`;
    }
    const eo = b.elemOffset;
    if (!(eo.kind === "IntImm" && (eo as IntImm).value === 0)) off = `${off} + ${this.hoist(eo)}`;
    return off;
  }

  private predicateLane(pred: PrimExpr | undefined, l: number, m: number, L: number, total: number): string | undefined {
    if (!pred) return undefined;
    const pl = pred.dtype.lanes;
    if (pl === 1) return this.hoist(pred);
    if (pl === total) return this.expr(pred, m);
    if (pl === L) return this.expr(pred, l);
    this.fail(`predicate with ${pl} lanes for an access of ${total} lanes`);
  }

  private load(e: BufferLoad, lane: number | undefined): string {
    const b = e.buffer;
    const data = this.bufferData(b);
    const total = e.dtype.lanes;
    const bl = b.dtype.lanes;
    const m = lane ?? 0;
    const L = total / bl;
    const l = Math.floor(m / bl), k = m % bl;
    const base = this.offset(b, e.indices, l);
    const pos = bl === 1 ? base : `(${base}) * ${bl} + ${k}`;
    const pred = this.predicateLane(e.predicate, l, m, L, total);
    return pred ? `(${pred} ? ${data}[${pos}] : 0)` : `${data}[${pos}]`;
  }

  // ---- expressions ----------------------------------------------------------------------

  private scalar(e: PrimExpr, what: string): string {
    if (e.dtype.lanes !== 1) this.fail(`${what} must be a scalar, got ${e.dtype}`);
    return this.expr(e);
  }

  /** JS source for expression `e` (lane `lane` of it when it is a vector). */
  expr(e: PrimExpr, lane?: number): string {
    const vec = e.dtype.lanes > 1;
    if (vec && lane === undefined) this.fail(`internal: vector expression ${e.kind} (${e.dtype}) used without a lane`);
    const l = vec ? lane! : 0;
    switch (e.kind) {
      case "IntImm":
        return numLiteral((e as IntImm).value + 0); // + 0: an IntImm never denotes -0
      case "FloatImm":
        return numLiteral(normalizer(e.dtype)((e as FloatImm).value));
      case "StringImm":
        return JSON.stringify((e as StringImm).value);
      case "Var":
      case "SizeVar": {
        const n = this.names.get(e as Var);
        if (n === undefined) this.fail(`variable ${(e as Var).name} is used but not defined`);
        return typeof n === "string" ? n : n[l]!;
      }
      case "Cast":
        return this.cast(e as Cast, l);
      case "Add": case "Sub": case "Mul": case "Div": case "Mod": case "FloorDiv": case "FloorMod": case "Min": case "Max":
        return this.binary(e as BinaryOp, l);
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": {
        const c = e as CmpOp;
        const op = { EQ: "===", NE: "!==", LT: "<", LE: "<=", GT: ">", GE: ">=" }[c.kind];
        return `(${this.sub(c.a, l)} ${op} ${this.sub(c.b, l)} ? 1 : 0)`;
      }
      case "And":
      case "Or": {
        const x = e as And | Or;
        return `(${this.sub(x.a, l)} ${e.kind === "And" ? "&&" : "||"} ${this.sub(x.b, l)} ? 1 : 0)`;
      }
      case "Not":
        return `(${this.sub((e as Not).a, l)} ? 0 : 1)`;
      case "Select": {
        const s = e as Select;
        return `(${this.cond(s.condition, e, l)} ? ${this.sub(s.trueValue, l)} : ${this.sub(s.falseValue, l)})`;
      }
      case "Ramp":
        return this.rampLane(e as Ramp, l);
      case "Broadcast":
        return this.hoist((e as Broadcast).value);
      case "Shuffle": {
        const s = e as Shuffle;
        let i = s.indices[l]!;
        for (const v of s.vectors) {
          if (i < v.dtype.lanes) return v.dtype.lanes === 1 ? this.hoist(v) : this.expr(v, i);
          i -= v.dtype.lanes;
        }
        return this.fail(`Shuffle index ${s.indices[l]} is outside its vectors`);
      }
      case "Let": {
        const x = e as Let;
        if (!this.names.has(x.variable) || !this.memo.has(x)) {
          this.memo.clear();
          const v = x.variable;
          if (v.dtype.lanes === 1) {
            const value = this.expr(x.value);
            const n = this.bind(v);
            this.pre!.push(`const ${n} = ${value};`);
          } else {
            const names: string[] = [];
            for (let k = 0; k < v.dtype.lanes; k++) {
              const n = this.fresh(`${v.name}_l${k}`);
              this.pre!.push(`const ${n} = ${this.expr(x.value, k)};`);
              names.push(n);
            }
            this.names.set(v, names);
          }
          this.memo.set(x, "");
        }
        return this.expr(x.body, vec ? l : undefined);
      }
      case "Call":
        return this.call(e as Call, l);
      case "BufferLoad":
        return this.load(e as BufferLoad, vec ? l : undefined);
      default:
        return this.fail(`cannot generate code for expressions of kind ${e.kind}`);
    }
  }

  /** Lane `l` of a sub-expression (a scalar operand is the same in every lane). */
  private sub(e: PrimExpr, l: number): string {
    return e.dtype.lanes === 1 ? this.expr(e) : this.expr(e, l);
  }

  /** A condition of a select-like node: a scalar condition of a vector node is computed once. */
  private cond(c: PrimExpr, parent: PrimExpr, l: number): string {
    if (c.dtype.lanes === 1) return parent.dtype.lanes > 1 ? this.hoist(c) : this.expr(c);
    return this.expr(c, l);
  }

  private rampLane(r: Ramp, l: number): string {
    const t = r.base.dtype;
    const base = this.hoist(r.base);
    if (l === 0) return base;
    const name = t.toString();
    if (r.stride.kind === "IntImm" && r.base.kind === "IntImm" && name === "int32") {
      return numLiteral(((r.base as IntImm).value + Math.imul(l, (r.stride as IntImm).value)) | 0);
    }
    if (r.stride.kind === "IntImm" && name === "int32") {
      const k = Math.imul(l, (r.stride as IntImm).value);
      return k === 0 ? base : `((${base} + ${numLiteral(k)}) | 0)`;
    }
    const stride = this.hoist(r.stride);
    if (name === "int32") return `((${base} + Math.imul(${l}, ${stride})) | 0)`;
    const add = this.konst(`arith:${name}:add`), mul = this.konst(`arith:${name}:mul`);
    return `${add}(${base}, ${mul}(${l}, ${stride}))`;
  }

  private cast(c: Cast, l: number): string {
    const from = c.value.dtype.element(), to = c.dtype.element();
    const x = this.sub(c.value, l);
    if (from === to) return x;
    if (to.isBool()) return `(${x} !== 0 ? 1 : 0)`;
    if (to.isFloat() && to.bits === 32) return `Math.fround(${x})`;
    if (to.isFloat() && to.bits === 64) return x;
    if (to.isInt() && to.bits === 32) return `(${x} | 0)`;
    if (!from.isFloat() && to.isIntegral() && to.bits < 32) return inlineNorm(to, x)!;
    return `${this.konst(`cast:${from}:${to}`)}(${x})`;
  }

  private binary(e: BinaryOp, l: number): string {
    const t = e.a.dtype.element();
    const a = this.sub(e.a, l), b = this.sub(e.b, l);
    const name = t.toString();
    const k = e.kind;
    if (k === "Min" || k === "Max") return `${this.konst(k.toLowerCase())}(${a}, ${b})`;
    if (name === "int32") {
      switch (k) {
        case "Add": return `((${a} + ${b}) | 0)`;
        case "Sub": return `((${a} - ${b}) | 0)`;
        case "Mul": return `Math.imul(${a}, ${b})`;
        case "Div": return `((${a} / ${b}) | 0)`;
        case "Mod": return `((${a} % ${b}) | 0)`;
        case "FloorDiv": return `(Math.floor(${a} / ${b}) | 0)`;
        case "FloorMod": return `${this.konst("floormod_i32")}(${a}, ${b})`;
      }
    } else if (name === "float32") {
      switch (k) {
        case "Add": return `Math.fround(${a} + ${b})`;
        case "Sub": return `Math.fround(${a} - ${b})`;
        case "Mul": return `Math.fround(${a} * ${b})`;
        case "Div": return `Math.fround(${a} / ${b})`;
        case "FloorDiv": return `Math.fround(Math.floor(Math.fround(${a} / ${b})))`;
      }
    } else if (name === "float64") {
      switch (k) {
        case "Add": return `(${a} + ${b})`;
        case "Sub": return `(${a} - ${b})`;
        case "Mul": return `(${a} * ${b})`;
        case "Div": return `(${a} / ${b})`;
        case "Mod": return `(${a} % ${b})`;
        case "FloorDiv": return `Math.floor(${a} / ${b})`;
      }
    }
    const op = { Add: "add", Sub: "sub", Mul: "mul", Div: "div", Mod: "mod", FloorDiv: "floordiv", FloorMod: "floormod" }[k] as
      "add" | "sub" | "mul" | "div" | "mod" | "floordiv" | "floormod";
    return `${this.konst(`arith:${name}:${op}`)}(${a}, ${b})`;
  }

  /** Rounds the JS expression `x` to dtype `t`. */
  private norm(t: DataType, x: string): string {
    return inlineNorm(t, x) ?? `${this.konst(`norm:${t.element()}`)}(${x})`;
  }

  private call(c: Call, l: number): string {
    if (c.op.kind === "GlobalVar") return `${this.konst(`throw:${this.fname}: calls to @${c.op.name} are not supported by the js target`)}()`;
    const op = shortName(c.op as Op);
    const args = c.args;
    const t = c.dtype;
    switch (op) {
      case "if_then_else":
        return `(${this.cond(args[0]!, c, l)} ? ${this.sub(args[1]!, l)} : ${this.sub(args[2]!, l)})`;
      case "likely":
        return this.sub(args[0]!, l);
      case "assume":
        return "1";
      case "undef":
        return "0";
      case "ret":
        return this.fail("T.ret is only supported as a statement (T.evaluate(T.ret(x)))");
      case "reinterpret": {
        const from = args[0]!.dtype;
        if (from.lanes !== t.lanes) this.fail(`T.reinterpret from ${from} to ${t} changes the lane count; not supported by the js target`);
        if (!reinterpretFn(from.element(), t.element())) this.fail(`T.reinterpret from ${from} to ${t} is not supported (no byte layout)`);
        return `${this.konst(`reinterpret:${from.element()}:${t.element()}`)}(${this.sub(args[0]!, l)})`;
      }
      case "fabs":
        return this.norm(t, `Math.abs(${this.sub(args[0]!, l)})`);
      case "isnan": {
        const x = this.hoistLane(args[0]!, l);
        return `(${x} !== ${x} ? 1 : 0)`;
      }
      case "isinf": {
        const x = this.hoistLane(args[0]!, l);
        return `(${x} === Infinity || ${x} === -Infinity ? 1 : 0)`;
      }
      case "isfinite":
        return `(Number.isFinite(${this.sub(args[0]!, l)}) ? 1 : 0)`;
      case "popcount":
      case "clz": {
        const at = args[0]!.dtype;
        const bits = at.isBool() ? 1 : at.bits;
        return this.norm(t, `${this.konst(`${op}:${bits}`)}(${this.sub(args[0]!, l)})`);
      }
      case "call_extern":
      case "call_pure_extern": {
        const fn = args[0]?.kind === "StringImm" ? (args[0] as StringImm).value : "?";
        return `${this.konst(`throw:${this.fname}: cannot run extern function ${fn} in the js target`)}()`;
      }
      default:
        break;
    }
    const fu = floatUnaryJs[op];
    if (fu !== undefined) {
      const f = typeof fu === "string" ? fu : this.konst(fu.recipe);
      return this.norm(t, `${f}(${this.sub(args[0]!, l)})`);
    }
    const fb = floatBinaryJs[op];
    if (fb !== undefined || op === "fmod" || op === "nextafter") {
      const a = this.sub(args[0]!, l), b = this.sub(args[1]!, l);
      if (op === "fmod") return this.norm(t, `(${a} % ${b})`);
      const f = op === "nextafter" ? this.konst(`nextafter:${args[0]!.dtype.element()}`)
        : typeof fb === "string" ? fb : this.konst(fb!.recipe);
      return this.norm(t, `${f}(${a}, ${b})`);
    }
    if (/^(bitwise_(and|or|xor|not)|shift_(left|right))$/.test(op)) return this.bitOp(op, c, l);
    return `${this.konst(`throw:${this.fname}: operator ${(c.op as Op).name} is not supported by the js target`)}()`;
  }

  private hoistLane(e: PrimExpr, l: number): string {
    const x = this.sub(e, l);
    if (/^[A-Za-z_$][\w$]*$/.test(x) || !this.pre) return x;
    const t = this.newTmp();
    this.pre.push(`const ${t} = ${x};`);
    return t;
  }

  private bitOp(op: string, c: Call, l: number): string {
    const t = c.args[0]!.dtype.element();
    const a = this.sub(c.args[0]!, l);
    const b = c.args.length > 1 ? this.sub(c.args[1]!, l) : "";
    if (t.bits === 64) return `${this.konst(`bit:${op}:${t}`)}(${a}${b ? `, ${b}` : ""})`;
    switch (op) {
      case "bitwise_and": return this.norm(t, `(${a} & ${b})`);
      case "bitwise_or": return this.norm(t, `(${a} | ${b})`);
      case "bitwise_xor": return this.norm(t, `(${a} ^ ${b})`);
      case "bitwise_not": return this.norm(t, `(~${a})`);
      case "shift_left": return this.norm(t, `(${a} << ${b})`);
      default: return t.isInt() ? `(${a} >> ${b})` : this.norm(t, `(${a} >>> ${b})`);
    }
  }
}

function shortName(op: Op): string {
  return op.name.startsWith("tir.") ? op.name.slice(4) : op.name;
}

/** Renders `func` as JavaScript and compiles it. `symbolOf` gives the `syms` slot of each shape variable. */
export function generateJs(func: PrimFunc, name: string, symbolOf: ReadonlyMap<Var, number>): JsFunction {
  const g = new JsCodegen(func, name, symbolOf);
  const source = g.generate();
  let kernel: JsKernel;
  try {
    kernel = instantiateJsKernel(source, g.recipes);
  } catch (e) {
    throw new CodegenError(`js codegen, function ${name}: generated source does not compile (${(e as Error).message}):\n${source}`);
  }
  return { name, source, recipes: g.recipes, kernel };
}
