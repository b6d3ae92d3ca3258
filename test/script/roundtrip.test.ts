import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Buffer, BufferRegion } from "../../src/ir/buffer.js";
import { DataType, bool, float16, float32, float64, handle, int32, int64, int8, uint8 } from "../../src/ir/dtype.js";
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, GT, GlobalVar, IntImm, LE, LT, Let, Max,
  Min, Mod, Mul, NE, Not, Or, PrimExpr, Ramp, Range, Select, Shuffle, SizeVar, StringImm, Sub, Var,
} from "../../src/ir/expr.js";
import { IRModule } from "../../src/ir/module.js";
import { Op } from "../../src/ir/op_registry.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar,
  LetStmt, MatchBufferRegion, SeqStmt, TRUE, While, type AttrValue, type ForKind, type IterVarType, type Stmt,
} from "../../src/tir/stmt.js";
import { parseScript, printScript, type Dialect } from "../../src/tir/script/index.js";
import { SPEC_SOFTMAX, SPEC_TILED_MATMUL } from "./spec_examples.js";

/** print -> parse is structurally equal, and printing again gives the same text. */
function roundTrip(node: PrimFunc | IRModule, dialect: Dialect = "block"): void {
  const text = printScript(node, { dialect });
  let back: IRModule;
  try {
    back = parseScript(text, "printed.py");
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- printed text\n${text}`);
  }
  const again = node instanceof IRModule ? back : back.functionList[0]!;
  if (!structuralEqual(node, again, { mapFreeVars: true })) {
    throw new Error(`structural mismatch after print -> parse\n--- printed\n${text}\n--- reprinted\n${printScript(again, { dialect })}`);
  }
  expect(printScript(again, { dialect })).toBe(text);
}

const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8");

describe("round trip of the examples", () => {
  it("the spec's printed examples print back exactly as written", () => {
    for (const src of [SPEC_SOFTMAX, SPEC_TILED_MATMUL]) {
      const mod = parseScript(src, "spec.py");
      expect(printScript(mod.functionList[0]!)).toBe(src.trimEnd());
      roundTrip(mod);
    }
  });

  const sources: Record<string, string> = {
    "examples/matmul.py": example("matmul.py"),
    "examples/softmax.py": example("softmax.py"),
    "examples/dynamic.py": example("dynamic.py"),
  };
  for (const [name, src] of Object.entries(sources)) {
    it(name, () => {
      const mod = parseScript(src, name);
      roundTrip(mod);
      roundTrip(mod.functionList[0] as PrimFunc);
      roundTrip(mod.functionList[0] as PrimFunc, "sblock");
    });
  }

  it("a module whose main calls another function through cls", () => {
    const x = new Var("x", int32);
    const helper = new PrimFunc([x], new Evaluate(new Call(int32, Op.get("tir.ret"), [new Add(x, new IntImm(int32, 1))])), new Map(), {}, int32);
    const n = new Var("n", int32);
    const call = new Call(int32, new GlobalVar("helper"), [n]);
    const main = new PrimFunc([n], new Evaluate(call), new Map(), { global_symbol: "main" });
    const mod = new IRModule([["helper", helper], ["main", main]]);
    const text = printScript(mod);
    expect(text).toContain("cls.helper(n)");
    roundTrip(mod);
  });

  it("a module of two functions, a private one calling nothing and a main with a thread-bound loop", () => {
    const mod = parseScript(`
@I.ir_module
class Module:
    I.module_attrs({"target": "c"})

    @T.prim_func(private=True)
    def helper(A: T.Buffer((16,), "float32")):
        for i in T.thread_binding(16, thread="threadIdx.x"):
            A[i] = A[i] * T.float32(2)

    @T.prim_func
    def main(a: T.handle, n: T.int32):
        A = T.match_buffer(a, (n,), "float16", strides=(2,), offset_factor=4)
        for i in range(n):
            A[i] = T.float16(0.5)
`);
    expect(mod.attrs).toEqual({ target: "c" });
    roundTrip(mod);
  });
});

// ------------------------------------------------------------------ random PrimFuncs

type G = fc.GeneratorValue;

const INTS = [int32, int64, int8, uint8] as const;
const FLOATS = [float16, float32, float64] as const;
const F32X4 = DataType.parse("float32x4");
const I32X4 = DataType.parse("int32x4");
const FLOAT_VALUES = [0, 1, -1, 0.5, 2.25, -3.75, 1024, Math.fround(0.1), Infinity, -Infinity, NaN, -0];
const ANNOTATION_VALUES: AttrValue[] = [1, 64, "s", true, false, 0.5, new IntImm(int64, 3), [1, "a"], { inner: 2 }];

/** Builds random but well-typed PrimFuncs covering every node kind; `g` draws the choices. */
class IRGen {
  private n = 0;
  /** Variables usable in expressions, innermost last. */
  private readonly vars: Var[] = [];
  private readonly buffers: Buffer[] = [];
  private readonly freeVars: Var[] = [new SizeVar("s", int32), new Var("fv", float32)];
  private blocks = false;

  constructor(private readonly g: G) {}

  int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }
  chance(percent: number): boolean {
    return this.int(0, 99) < percent;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  name(base: string): string {
    return this.chance(15) ? base : `${base}${this.n++}`;
  }

  private scoped<T>(vs: readonly Var[], f: () => T): T {
    this.vars.push(...vs);
    try {
      return f();
    } finally {
      this.vars.length -= vs.length;
    }
  }

  private withBuffers<T>(bs: readonly Buffer[], f: () => T): T {
    this.buffers.push(...bs);
    try {
      return f();
    } finally {
      this.buffers.length -= bs.length;
    }
  }

  // ------------------------------------------------------------ expressions

  intImm(t: DataType): IntImm {
    if (t === bool) return new IntImm(bool, this.int(0, 1));
    if (t === int8) return new IntImm(t, this.int(-128, 127));
    if (t === uint8) return new IntImm(t, this.int(0, 255));
    if (t === int64) return new IntImm(t, this.pick([0, 1, -7, 2 ** 40, -(2 ** 35)]));
    return new IntImm(t, this.pick([0, 1, 2, 3, -1, 16, 1000, -2147483648, 2147483647]));
  }

  leaf(t: DataType): PrimExpr {
    const vs = [...this.vars, ...this.freeVars].filter((v) => v.dtype === t);
    if (vs.length > 0 && this.chance(60)) return this.pick(vs);
    if (t.isFloat()) return new FloatImm(t, this.pick(FLOAT_VALUES));
    return this.intImm(t);
  }

  expr(t: DataType, d: number): PrimExpr {
    if (t.lanes > 1) return this.vector(t, d);
    if (d <= 0 || this.chance(25)) return this.leaf(t);
    const sub = (tt: DataType = t) => this.expr(tt, d - 1);
    if (t === bool) return this.boolExpr(d);
    const common: Array<() => PrimExpr> = [
      () => new (this.pick([Add, Sub, Mul, Div, Min, Max]))(sub(), sub()),
      () => new Select(sub(bool), sub(), sub()),
      () => new Cast(t, sub(this.pick([...INTS, ...FLOATS, bool].filter((x) => x !== t)))),
      () => this.letExpr(t, d),
      () => new Call(t, Op.get("tir.if_then_else"), [sub(bool), sub(), sub()]),
      () => this.load(t, d),
      () => new Call(t, Op.get("tir.call_extern"), [new StringImm(this.pick(["ext", "f\"q"])), sub(int32)]),
    ];
    const specific: Array<() => PrimExpr> = t.isFloat()
      ? [
          () => new Call(t, Op.get(this.pick(["tir.exp", "tir.sqrt", "tir.tanh", "tir.log"])), [sub()]),
          () => new Call(t, Op.get("tir.pow"), [sub(), sub()]),
          () => new Call(t, Op.get("tir.fabs"), [sub()]),
        ]
      : [
          () => new (this.pick([FloorDiv, FloorMod, Mod]))(sub(), sub()),
          () => new Call(t, Op.get(this.pick(["tir.bitwise_and", "tir.shift_left", "tir.bitwise_xor"])), [sub(), sub()]),
          ...(t === int32 ? [() => new Call(int32, Op.get("tir.reinterpret"), [sub(float32)])] : []),
        ];
    return this.pick([...common, ...specific])();
  }

  private boolExpr(d: number): PrimExpr {
    const sub = (t: DataType) => this.expr(t, d - 1);
    const opts: Array<() => PrimExpr> = [
      () => {
        const t = this.pick([int32, int64, float32, float16]);
        return new (this.pick([EQ, NE, LT, LE, GT, GE]))(sub(t), sub(t));
      },
      () => new (this.pick([And, Or]))(sub(bool), sub(bool)),
      () => new Not(sub(bool)),
      () => new Call(bool, Op.get("tir.isnan"), [sub(float32)]),
      () => new Call(bool, Op.get("tir.likely"), [sub(bool)]),
      () => new Select(sub(bool), sub(bool), sub(bool)),
    ];
    return this.pick(opts)();
  }

  private letExpr(t: DataType, d: number): PrimExpr {
    const v = new Var(this.name("l"), this.pick([int32, t]));
    const value = this.expr(v.dtype, d - 1);
    return new Let(v, value, this.scoped([v], () => this.expr(t, d - 1)));
  }

  private load(t: DataType, d: number): PrimExpr {
    const bs = this.buffers.filter((b) => b.dtype === t);
    if (bs.length === 0) return this.leaf(t);
    const b = this.pick(bs);
    return new BufferLoad(b, b.shape.map(() => this.expr(this.pick([int32, int32, int64]), Math.min(d - 1, 1))));
  }

  private vector(t: DataType, d: number): PrimExpr {
    const el = t.element();
    const sub = () => this.vector(t, d - 1);
    const opts: Array<() => PrimExpr> = [
      () => new Broadcast(this.expr(el, d - 1), 4),
      () => new Add(sub(), sub()),
      () => new Shuffle([sub(), sub()], [0, this.int(0, 7), 5, this.int(0, 7)]),
    ];
    if (t === I32X4) opts.push(() => new Ramp(this.expr(int32, d - 1), this.chance(50) ? this.intImm(int32) : this.expr(int32, 1), 4));
    if (t === F32X4) {
      opts.push(() => new Cast(F32X4, this.vector(I32X4, d - 1)));
      const vs = this.buffers.filter((b) => b.dtype === float32 && b.shape.length === 1);
      if (vs.length > 0) opts.push(() => new BufferLoad(this.pick(vs), [this.vecIndex()], this.chance(30) ? this.lanePredicate() : undefined));
    }
    return d <= 0 ? opts[0]!() : this.pick(opts)();
  }

  /** A bool x4 mask for predicated vector loads and stores. */
  private lanePredicate(): PrimExpr {
    return this.chance(50) ? new Broadcast(this.expr(bool, 1), 4) : new LT(new Ramp(new IntImm(int32, 0), new IntImm(int32, 1), 4), new Broadcast(this.leaf(int32), 4));
  }

  private vecIndex(): PrimExpr {
    // Mostly small constants, sometimes int32 extremes (the slice end `base + 4` then overflows).
    const vs = this.vars.filter((v) => v.dtype === int32);
    const small = this.chance(90) ? new IntImm(int32, this.int(0, 60)) : this.intImm(int32);
    const base = vs.length > 0 && this.chance(60) ? (this.chance(50) ? this.pick(vs) : new Add(this.pick(vs), small)) : small;
    const stride = vs.length > 0 && this.chance(20) ? this.pick(vs) : new IntImm(int32, this.pick([1, 2, -1, 3, 0]));
    return new Ramp(base, stride, 4);
  }

  /** An annotation value: a literal, a list, a dict, an expression or another IR node. */
  private annValue(): AttrValue {
    if (this.buffers.length === 0 || this.chance(70)) return this.pick(ANNOTATION_VALUES);
    return this.irNode();
  }

  /** An IR node that is not an expression (for annotations and AttrStmt nodes). */
  private irNode(): Buffer | BufferRegion | Range | IterVar {
    const nodes: Array<() => Buffer | BufferRegion | Range | IterVar> = [
      () => this.pick(this.buffers),
      // A region of single points prints like a load (`A[1, 1]`) and reads back as one; keep a slice.
      () => {
        const r = this.region(this.pick(this.buffers), [new IntImm(int32, 1)]);
        return new BufferRegion(r.buffer, r.region.map((g, i) => (i === 0 ? new Range(g.min, new IntImm(int32, 3)) : g)));
      },
      () => new Range(new IntImm(int32, 2), new IntImm(int32, this.int(1, 9))),
      () => new IterVar(new Range(new IntImm(int32, 0), new IntImm(int32, 4)), new Var(this.name("it"), int32), "DataPar"),
    ];
    return this.pick(nodes)();
  }

  // ------------------------------------------------------------ statements

  stmt(d: number): Stmt {
    if (d <= 0) return this.store(1);
    const opts: Array<() => Stmt> = [
      () => this.store(2),
      () => this.vectorStore(),
      () => new Evaluate(this.pick([
        () => new IntImm(int32, 0),
        () => new Call(int32, Op.get("tir.call_extern"), [new StringImm("sync"), this.expr(int32, 1)]),
        () => this.expr(int32, 2),
      ])()),
      () => {
        const v = new Var(this.name("x"), this.pick([int32, float32, bool, int64]));
        return new LetStmt(v, this.expr(v.dtype, 2), this.scoped([v], () => this.stmt(d - 1)));
      },
      () => {
        const node = this.buffers.length > 0 && this.chance(50) ? this.pick(this.buffers).data : this.chance(50) ? this.pick(["target", "scope"]) : this.irNode();
        return new AttrStmt(node, this.pick(["pragma_unroll", "storage_alignment"]), this.expr(int32, 1), this.stmt(d - 1));
      },
      () => this.threadLaunch(d),
      () => new AssertStmt(this.expr(bool, 2), new StringImm(this.pick(["ok", "a \"quoted\" message"])), this.stmt(d - 1)),
      () => this.allocate(d),
      () => this.loop(d),
      () => new While(this.expr(bool, 2), this.stmt(d - 1)),
      () => new IfThenElse(this.expr(bool, 2), this.stmt(d - 1), this.chance(50) ? this.stmt(d - 1) : undefined),
      () => SeqStmt.flatten([this.stmt(d - 1), this.stmt(d - 1), ...(this.chance(30) ? [this.stmt(d - 1)] : [])]),
    ];
    if (this.blocks) opts.push(() => this.block(d), () => this.block(d));
    return this.pick(opts)();
  }

  private store(d: number): Stmt {
    const b = this.pick(this.buffers);
    return new BufferStore(b, this.expr(b.dtype, d), b.shape.map(() => this.expr(int32, 1)));
  }

  private vectorStore(): Stmt {
    const vs = this.buffers.filter((b) => b.dtype === float32 && b.shape.length === 1);
    if (vs.length === 0) return this.store(1);
    return new BufferStore(this.pick(vs), this.vector(F32X4, 2), [this.vecIndex()], this.chance(30) ? this.lanePredicate() : undefined);
  }

  private threadLaunch(d: number): Stmt {
    const tag = this.pick(["threadIdx.x", "blockIdx.y", "vthread"]);
    const v = new Var(this.name("t"), int32);
    const ext = new IntImm(int32, this.int(1, 64));
    const iv = new IterVar(new Range(new IntImm(int32, 0), ext), v, "ThreadIndex", tag);
    return new AttrStmt(iv, tag === "vthread" ? "virtual_thread" : "thread_extent", ext, this.scoped([v], () => this.stmt(d - 1)));
  }

  private allocate(d: number): Stmt {
    const dtype = this.pick([float32, int32, float16]);
    const scope = this.pick(["global", "shared", "local"]);
    if (this.chance(50)) {
      // Allocate + DeclBuffer of the same shape: printed as one T.decl_buffer.
      const b = new Buffer(this.name("buf"), dtype, [new IntImm(int32, this.int(1, 32))], { scope });
      return new Allocate(b.data, dtype, b.shape, TRUE, new DeclBuffer(b, this.withBuffers([b], () => this.stmt(d - 1))));
    }
    const ptr = new Var(this.name("ptr"), handle, { elementType: dtype, storageScope: scope });
    const b = new Buffer(this.name("view"), dtype, [new IntImm(int32, 2), new IntImm(int32, 4)], { data: ptr, scope });
    const cond = this.chance(50) ? TRUE : this.expr(bool, 1);
    const ann: Record<string, AttrValue> = this.chance(50) ? {} : { pragma: this.annValue() };
    return new Allocate(ptr, dtype, [new IntImm(int32, 8)], cond, new DeclBuffer(b, this.withBuffers([b], () => this.stmt(d - 1))), ann);
  }

  private loop(d: number): Stmt {
    const t = this.pick([int32, int32, int64]);
    const kind = this.pick<ForKind>(["serial", "serial", "parallel", "vectorized", "unrolled", "thread_binding"]);
    const v = new Var(this.name("i"), t);
    const min = this.chance(70) ? new IntImm(t, 0) : new IntImm(t, this.int(1, 4));
    const n = this.vars.find((x) => x.name === "n");
    const extent = t === int32 && n && this.chance(20) ? n : new IntImm(t, this.int(1, 16));
    const tag = kind === "thread_binding" ? this.pick(["threadIdx.x", "blockIdx.x"]) : undefined;
    const ann = this.chance(25) ? { [this.pick(["pragma_auto_unroll_max_step", "software_pipeline_stage"])]: this.annValue() } : {};
    const step = this.chance(15) ? new IntImm(t, this.int(2, 3)) : undefined;
    return new For(v, min, extent, kind, this.scoped([v], () => this.stmt(d - 1)), tag, ann, step);
  }

  private region(b: Buffer, idx: readonly PrimExpr[]): BufferRegion {
    return new BufferRegion(b, b.shape.map(() => {
      if (this.chance(50)) return new Range(this.pick(idx), new IntImm(int32, 1));
      const min = this.chance(50) ? new IntImm(int32, this.int(0, 3)) : new Add(this.pick(idx), new IntImm(int32, 2));
      return new Range(min, new IntImm(int32, this.int(2, 8)));
    }));
  }

  private block(d: number): Stmt {
    const kinds: IterVarType[] = ["DataPar", "CommReduce", "Ordered", "Opaque"];
    const loopVars = this.vars.filter((v) => v.dtype === int32 || v.dtype === int64);
    const iters: IterVar[] = [];
    const bindings: PrimExpr[] = [];
    for (let k = this.int(0, 3); k > 0; k--) {
      const lv = loopVars.length > 0 && this.chance(60) ? this.pick(loopVars) : undefined;
      const t = lv?.dtype ?? int32;
      const min = this.chance(70) ? new IntImm(t, 0) : new IntImm(t, 2);
      iters.push(new IterVar(new Range(min, new IntImm(t, this.int(1, 16))), new Var(this.name("v"), t), this.pick(kinds)));
      bindings.push(lv && this.chance(70) ? lv : this.expr(t, 1));
    }
    const ivs = iters.map((iv) => iv.variable);
    const idx = ivs.length > 0 ? ivs.filter((v) => v.dtype === int32) : [];
    const points = idx.length > 0 ? idx : [new IntImm(int32, 0)];
    const regions = () => Array.from({ length: this.int(0, 2) }, () => this.region(this.pick(this.buffers), points));
    const allocs = this.chance(30) ? [new Buffer(this.name("local"), this.pick([float32, int8]), [new IntImm(int32, 4)], { scope: this.pick(["local", "shared"]) })] : [];
    const matches: MatchBufferRegion[] = [];
    if (this.chance(30)) {
      const src = this.region(this.pick(this.buffers), points);
      const shape = src.region.map((r) => r.extent);
      const opts = this.pick([
        {},
        { strides: shape.map((_, i) => new Var(`st${i}`, int32)), elemOffset: new Var("off", int32), offsetFactor: 4 },
        { offsetFactor: 16 }, // elem_offset stays 0
      ]);
      matches.push(new MatchBufferRegion(new Buffer(this.name("sub"), src.buffer.dtype, shape, opts), src));
    }
    const annotations = this.chance(30) ? { [this.pick(["meta_schedule.tiling_structure", "k"])]: this.annValue() } : {};
    const inner = [...allocs, ...matches.map((m) => m.buffer)];
    const [init, body] = this.scoped(ivs, () => this.withBuffers(inner, () => [this.chance(30) ? this.store(1) : undefined, this.stmt(d - 1)] as const));
    const block = new Block({
      nameHint: this.pick(["b", "C", "", "compute"]), iterVars: iters, reads: regions(), writes: regions(), body, init,
      allocBuffers: allocs, matchBuffers: matches, annotations,
    });
    if (this.chance(10)) return block; // a block without realize: `T.block(..., no_realize=True)`
    const pred = this.chance(25) ? new LT(this.expr(int32, 1), new IntImm(int32, 8)) : TRUE;
    return new BlockRealize(bindings, pred, block);
  }

  // ------------------------------------------------------------ functions

  func(): PrimFunc {
    const n = new Var("n", int32);
    const params = { A: float32, B: int32, V: float32, M: bool, H: float16 };
    const bufs = Object.entries(params).map(([name, t]) =>
      new Buffer(name, t, name === "A" ? [new IntImm(int32, 16), new IntImm(int32, 16)] : name === "H" ? [n] : [new IntImm(int32, 64)]));
    const strided = new Buffer("D", int8, [new IntImm(int32, 8), new IntImm(int32, 8)], { strides: [new IntImm(int32, 8), new IntImm(int32, 1)] });
    bufs.push(strided);
    const handles = bufs.map((b) => new Var(b.name === "D" ? "d" : b.name, handle));
    const f = new Var("f", float32);
    const allParams = [...handles, n, f];
    this.blocks = this.chance(50);
    const body = this.scoped([n, f], () =>
      this.withBuffers(bufs, () => {
        if (!this.blocks) return this.stmt(this.int(1, 4));
        const roots = this.chance(40) ? [new Buffer(this.name("R"), float32, [new IntImm(int32, 8)])] : [];
        const inner = this.withBuffers(roots, () => SeqStmt.flatten([this.block(this.int(1, 3)), ...(this.chance(50) ? [this.stmt(2)] : [])]));
        return BlockRealize.of(new Block({ nameHint: "root", body: inner, allocBuffers: roots }));
      }),
    );
    const attrs: Record<string, AttrValue> = { "tir.noalias": true };
    if (this.chance(70)) attrs["global_symbol"] = this.pick(["main", "kernel"]);
    const retType = this.chance(10) ? int32 : undefined;
    return new PrimFunc(allParams, body, new Map(handles.map((h, i) => [h, bufs[i]!])), attrs, retType);
  }
}

/** Every node reachable from `root` (fields, arrays, maps), each visited once. */
function* allNodes(root: unknown): Generator<{ kind: string }> {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const x = stack.pop();
    if (!x || typeof x !== "object" || seen.has(x) || x instanceof DataType) continue;
    seen.add(x);
    const k = (x as { kind?: unknown }).kind;
    if (typeof k === "string") {
      if (k === "Op") continue;
      yield x as { kind: string };
    }
    for (const v of Object.values(x)) {
      if (Array.isArray(v)) stack.push(...v);
      else if (v instanceof Map) stack.push(...v.keys(), ...v.values());
      else stack.push(v);
    }
  }
}

describe("round trip of random PrimFuncs", () => {
  it("print -> parse is structurally equal and printing is stable", () => {
    fc.assert(
      fc.property(fc.gen(), fc.constantFrom<Dialect>("block", "sblock"), (g, dialect) => {
        roundTrip(new IRGen(g).func(), dialect);
      }),
      // ROUNDTRIP_RUNS=20000 for a longer search when touching the printer or the parser.
      { numRuns: Number(process.env.ROUNDTRIP_RUNS ?? 300) },
    );
  });

  it("the generator reaches every node kind, loop kind, iter var kind, block feature and dtype", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.gen(), (g) => {
        for (const n of allNodes(new IRGen(g).func())) {
          seen.add(n.kind);
          if (n instanceof For) {
            seen.add(`for:${n.forKind}`);
            if (Object.keys(n.annotations).length > 0) seen.add("for:annotations");
            if (n.step) seen.add("for:step");
          }
          if (n instanceof IterVar) seen.add(`iter:${n.iterType}`);
          if (n instanceof Block) {
            if (n.init) seen.add("block:init");
            if (Object.keys(n.annotations).length > 0) seen.add("block:annotations");
            if (n.reads.some((r) => r.region.some((g) => !(g.extent instanceof IntImm && g.extent.value === 1)))) seen.add("block:slice");
          }
          if (n instanceof BlockRealize && !(n.predicate instanceof IntImm)) seen.add("block:predicate");
          if ((n instanceof PrimExpr || n instanceof Buffer) && n.dtype !== undefined) seen.add(`dtype:${n.dtype}`);
        }
      }),
      { numRuns: 200, seed: 42 },
    );
    const kinds = [
      "IntImm", "FloatImm", "StringImm", "Var", "SizeVar", "Cast", "Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod",
      "Min", "Max", "EQ", "NE", "LT", "LE", "GT", "GE", "And", "Or", "Not", "Select", "Ramp", "Broadcast", "Shuffle", "Let",
      "Call", "BufferLoad", "LetStmt", "AttrStmt", "AssertStmt", "BufferStore", "Allocate", "DeclBuffer", "For", "While",
      "SeqStmt", "IfThenElse", "Evaluate", "IterVar", "MatchBufferRegion", "Block", "BlockRealize", "BufferRegion", "Range",
      ...["serial", "parallel", "vectorized", "unrolled", "thread_binding", "annotations", "step"].map((k) => `for:${k}`),
      ...["DataPar", "CommReduce", "Ordered", "Opaque", "ThreadIndex"].map((k) => `iter:${k}`),
      "block:init", "block:annotations", "block:slice", "block:predicate",
      ...["float16", "float32", "float64", "int8", "uint8", "int32", "int64", "bool", "float32x4", "int32x4", "boolx4"].map((d) => `dtype:${d}`),
    ];
    expect(kinds.filter((k) => !seen.has(k))).toEqual([]);
  });
});
