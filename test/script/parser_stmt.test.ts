import { describe, expect, it } from "vitest";
import { DataType, float32, handle, int32, int8 } from "../../src/ir/dtype.js";
import { Add, BufferLoad, FloatImm, IntImm, Ramp, StringImm, Var, type PrimExpr } from "../../src/ir/expr.js";
import { assertStructuralEqual, structuralEqual } from "../../src/ir/structural.js";
import type { PrimFunc } from "../../src/tir/function.js";
import {
  Allocate, AssertStmt, AttrStmt, Block, BlockRealize, BufferStore, DeclBuffer, Evaluate, For, IfThenElse, IterVar,
  LetStmt, SeqStmt, While, type Stmt,
} from "../../src/tir/stmt.js";
import { parsePrimFunc } from "../../src/tir/script/parser/index.js";

/** Parses a function with one 1-D float buffer A (16), one int8 buffer B (16) and the given body. */
function body(lines: string, params = ""): Stmt {
  return fn(lines, params).body;
}

function fn(lines: string, params = ""): PrimFunc {
  const indented = lines.trim().split("\n").map((l) => `    ${l}`).join("\n");
  return parsePrimFunc(`@T.prim_func\ndef f(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "int8")${params}):\n${indented}\n`);
}

function seq(s: Stmt): readonly Stmt[] {
  return s instanceof SeqStmt ? s.seq : [s];
}

describe("statements", () => {
  it("stores convert Python literals to the buffer dtype; loads of the same buffer need no cast", () => {
    const [a, b, c] = seq(body("A[0] = 1\nB[1] = 2\nA[2] = A[0] * 2.5")) as BufferStore[];
    expect(a!.value).toEqual(new FloatImm(float32, 1));
    expect(b!.value).toEqual(new IntImm(int8, 2));
    expect(c!.value.kind).toBe("Mul");
  });

  it("a vector store through slices", () => {
    const s = body("A[0:4] = A[4:8]") as BufferStore;
    expect(s.indices[0]).toBeInstanceOf(Ramp);
    expect((s.value as BufferLoad).indices[0]).toBeInstanceOf(Ramp);
    expect(s.value.dtype.lanes).toBe(4);
    const bc = body("A[0:4] = 0") as BufferStore;
    expect(bc.value.kind).toBe("Broadcast");
  });

  it("augmented assignment reads and writes the same element", () => {
    const s = body("A[3] += 2\nB[3] -= B[2]\nA[1] *= A[1]") as SeqStmt;
    const [add, sub, mul] = s.seq as BufferStore[];
    assertStructuralEqual(add!.value, new Add(new BufferLoad(add!.buffer, [new IntImm(int32, 3)]), new FloatImm(float32, 2)));
    expect(sub!.value.kind).toBe("Sub");
    expect(mul!.value.kind).toBe("Mul");
  });

  it("annotated and plain assignments make LetStmts scoping the rest of the body", () => {
    const s = body("x: T.float32 = A[0]\ny = x * 2\nz = 5\nA[1] = y\nA[2] = x") as LetStmt;
    expect(s).toBeInstanceOf(LetStmt);
    expect([s.variable.name, String(s.variable.dtype)]).toEqual(["x", "float32"]);
    const y = s.body as LetStmt;
    expect([y.variable.name, String(y.variable.dtype)]).toEqual(["y", "float32"]);
    const z = y.body as LetStmt;
    expect([z.variable.name, String(z.variable.dtype), (z.value as IntImm).value]).toEqual(["z", "int32", 5]);
    expect(seq(z.body)).toHaveLength(2);
    const ann = body("x: T.int8 = 3\nB[0] = x") as LetStmt;
    expect(ann.value).toEqual(new IntImm(int8, 3));
  });

  it("if / elif / else, while, assert, evaluate and pass", () => {
    const s = body(`
if n > 0:
    A[0] = 1
elif n < 0:
    A[0] = 2
else:
    pass
while A[0] < 10:
    A[0] = A[0] + 1
assert n >= 0, "n must be non-negative"
T.evaluate(0)
T.call_extern("int32", "sync")`, ", n: T.int32") as SeqStmt;
    const [iff, loop, asrt] = s.seq;
    expect(iff).toBeInstanceOf(IfThenElse);
    const inner = (iff as IfThenElse).elseCase as IfThenElse;
    expect(inner).toBeInstanceOf(IfThenElse);
    expect(inner.elseCase).toEqual(new Evaluate(new IntImm(int32, 0)));
    expect(loop).toBeInstanceOf(While);
    expect(asrt).toBeInstanceOf(AssertStmt);
    expect((asrt as AssertStmt).message).toEqual(new StringImm("n must be non-negative"));
    const rest = seq((asrt as AssertStmt).body);
    expect(rest.map((x) => x.kind)).toEqual(["Evaluate", "Evaluate"]);
    expect(((rest[1] as Evaluate).value as { dtype: unknown }).dtype).toBe(int32);
  });

  it("a Python-level condition picks a branch while parsing", () => {
    const s = body("if True:\n    A[0] = 1\nelse:\n    A[0] = 2");
    expect(((s as BufferStore).value as FloatImm).value).toBe(1);
  });

  it("T.decl_buffer allocates unless data= is given; T.allocate binds a handle", () => {
    const s = body(`
C = T.decl_buffer((8,), "float32", scope="local")
D = T.decl_buffer((8,), "float32", data=C.data)
p = T.allocate([4], "int8", "shared")
E = T.Buffer((4,), "int8", data=p, scope="shared")
C[0] = D[1]
E[0] = T.int8(1)`) as Allocate;
    expect(s).toBeInstanceOf(Allocate);
    expect(s.extents).toEqual([new IntImm(int32, 8)]);
    const declC = s.body as DeclBuffer;
    expect(declC.buffer.name).toBe("C");
    expect(declC.buffer.scope).toBe("local");
    expect(s.bufferVar).toBe(declC.buffer.data);
    const declD = declC.body as DeclBuffer;
    expect(declD.buffer.data).toBe(declC.buffer.data);
    const alloc = declD.body as Allocate;
    expect(alloc).toBeInstanceOf(Allocate);
    expect([alloc.bufferVar.name, alloc.bufferVar.dtype, alloc.bufferVar.typeAnnotation?.storageScope]).toEqual(["p", handle, "shared"]);
    const stores = seq(alloc.body) as BufferStore[];
    expect(stores[1]!.buffer.data).toBe(alloc.bufferVar);
    const withForm = body('with T.allocate([4], "float32", "global") as q:\n    T.evaluate(T.call_extern("int32", "use", q))');
    expect(withForm).toBeInstanceOf(Allocate);
  });

  it("T.attr, T.launch_thread and T.env_thread", () => {
    const f = fn(`
with T.attr(A.data, "storage_alignment", 128):
    A[0] = 1
tx = T.launch_thread("threadIdx.x", 16)
bx = T.env_thread("blockIdx.x")
T.launch_thread(bx, 4)
A[tx] = T.float32(0)`);
    const [attr, launch] = (f.body as SeqStmt).seq as [AttrStmt, AttrStmt];
    expect([attr.attrKey, (attr.value as IntImm).value]).toEqual(["storage_alignment", 128]);
    expect(attr.node).toBe(f.buffer("A")!.data);
    expect(launch.attrKey).toBe("thread_extent");
    const iv = launch.node as IterVar;
    expect([iv.variable.name, iv.threadTag, iv.iterType]).toEqual(["tx", "threadIdx.x", "ThreadIndex"]);
    const inner = launch.body as AttrStmt;
    expect((inner.node as IterVar).threadTag).toBe("blockIdx.x");
    expect((inner.body as BufferStore).indices[0]).toBe(iv.variable);
  });

  it("scoped statements in with-form bind their target", () => {
    const s = body('with T.LetStmt(T.int32(4)) as k:\n    B[k] = T.int8(0)\nwith T.Assert(T.bool(True), "ok"):\n    pass') as SeqStmt;
    const let_ = s.seq[0] as LetStmt;
    expect(let_.variable.name).toBe("k");
    expect((let_.body as BufferStore).indices[0]).toBe(let_.variable);
    expect(s.seq[1]).toBeInstanceOf(AssertStmt);
  });

  it("loop kinds, annotations, steps and thread bindings", () => {
    const s = body(`
for i in T.parallel(4):
    for j in T.vectorized(0, 4):
        for k in T.unroll(2, 4, annotations={"pragma": "x", "n": 3}):
            for t in T.thread_binding(32, thread="threadIdx.x"):
                for u in T.thread_binding(0, 2, "vthread"):
                    for w in range(0, 16, 4):
                        A[w] = 0`) as For;
    const ls: For[] = [];
    for (let l: Stmt = s; l instanceof For; l = l.body) ls.push(l);
    expect(ls.map((l) => l.forKind)).toEqual(["parallel", "vectorized", "unrolled", "thread_binding", "thread_binding", "serial"]);
    expect([(ls[2]!.min as IntImm).value, (ls[2]!.extent as IntImm).value]).toEqual([2, 2]);
    expect(ls[2]!.annotations).toEqual({ pragma: "x", n: 3 });
    expect(ls.slice(3, 5).map((l) => l.threadTag)).toEqual(["threadIdx.x", "vthread"]);
    expect((ls[5]!.step as IntImm).value).toBe(4);
    expect(body("for i in range(0, 4, 1):\n    A[i] = 0") as For).toHaveProperty("step", undefined);
  });

  it("return makes an evaluate of T.ret, and a return type annotation sets retType", () => {
    const f = parsePrimFunc("@T.prim_func\ndef f(x: T.int32) -> T.int32:\n    return x + 1\n");
    expect(String(f.retType)).toBe("int32");
    const e = f.body as Evaluate;
    expect((e.value as unknown as { op: { name: string } }).op.name).toBe("tir.ret");
  });
});

describe("buffer declarations", () => {
  it("T.Buffer / T.match_buffer keyword arguments, and a bare extent for 1-D shapes", () => {
    const f = parsePrimFunc(`
@T.prim_func
def f(a: T.handle, b: T.handle, C: T.Buffer(128, "int32")):
    s0 = T.int32()
    A = T.match_buffer(a, (8, 8), "float16", strides=(s0, 1), elem_offset=4, scope="shared", align=16, offset_factor=2, buffer_type="auto", axis_separators=[1])
    B = T.match_buffer(b, (16,), offset_factor=8)
    C[0] = 1
`);
    const [A, B, C] = [...f.bufferMap.values()];
    expect([A!.dtype, A!.scope, A!.dataAlignment, A!.offsetFactor, A!.bufferType, A!.axisSeparators]).toEqual([
      DataType.parse("float16"), "shared", 16, 2, "auto_broadcast", [1],
    ]);
    expect((A!.strides[0] as Var).name).toBe("s0");
    expect(A!.elemOffset).toEqual(new IntImm(int32, 4));
    expect(A!.data.typeAnnotation).toEqual({ elementType: DataType.parse("float16"), storageScope: "shared" });
    // An offset factor without an offset declares a symbolic offset, as in TVM.
    expect(B!.elemOffset).toBeInstanceOf(Var);
    expect(B!.offsetFactor).toBe(8);
    expect(C!.shape).toEqual([new IntImm(int32, 128)]);
  });

  it("the two-function file keeps one function per name", () => {
    expect(() => parsePrimFunc("@T.prim_func\ndef f():\n    pass\n\n@T.prim_func\ndef f():\n    pass\n", "dup.py")).toThrow(
      "dup.py:6:1: the file already has a function named 'f'",
    );
  });
});

describe("blocks", () => {
  const blk = (s: Stmt): BlockRealize => {
    let x: Stmt = s;
    while (!(x instanceof BlockRealize) || x.block.nameHint === "root") x = x instanceof BlockRealize ? x.block.body : (x as For).body;
    return x;
  };

  it("every header item: iter var kinds, T.where, regions with slices, attrs, alloc and match buffers, init", () => {
    const f = fn(`
for i, j in T.grid(4, 6):
    with T.block("b"):
        vi = T.axis.spatial((0, 4), i)
        vj = T.axis.reduce((2, 8), j + 2)
        vs = T.axis.scan(4, i)
        vo = T.axis.opaque(16, i * 4)
        T.where(i < 3)
        T.reads(A[vo:vo + 4])
        T.writes(B[vi * 4:vi * 4 + 4], A[0:16])
        T.block_attr({"k": 1, "s": "v", "b": True, "l": [1, 2]})
        tmp = T.alloc_buffer((4,), "float32", scope="local")
        sub = T.match_buffer(A[vo:vo + 4], (4,), offset_factor=1)
        with T.init():
            tmp[0] = 0
        B[vi] = T.Cast("int8", sub[0] + tmp[0])`);
    const r = blk(f.body);
    const b = r.block;
    expect(b.iterVars.map((iv) => iv.iterType)).toEqual(["DataPar", "CommReduce", "Ordered", "Opaque"]);
    const vj = b.iterVars[1]!;
    expect([(vj.dom.min as IntImm).value, (vj.dom.extent as IntImm).value]).toEqual([2, 6]);
    expect(r.iterValues.map((v) => v.kind)).toEqual(["Var", "Add", "Var", "Mul"]);
    expect(r.predicate.kind).toBe("LT");
    expect(b.reads[0]!.region[0]!.extent).toEqual(new IntImm(int32, 4));
    expect(b.writes.map((w) => (w.region[0]!.extent as IntImm).value)).toEqual([4, 16]);
    expect(b.annotations).toEqual({ k: 1, s: "v", b: true, l: [1, 2] });
    expect(b.allocBuffers.map((x) => x.scope)).toEqual(["local"]);
    expect(b.matchBuffers).toHaveLength(1);
    const m = b.matchBuffers[0]!;
    expect([m.buffer.name, m.source.buffer.name]).toEqual(["sub", "A"]);
    expect(m.buffer.elemOffset).toBeInstanceOf(Var);
    expect(b.init).toBeInstanceOf(BufferStore);
  });

  it("nested blocks: an opaque inner block and regions completed bottom-up", () => {
    const f = fn(`
for i in range(4):
    with T.block("outer"):
        vi = T.axis.spatial(4, i)
        for j in range(4):
            with T.block("inner"):
                vj = T.axis.spatial(4, j)
                A[vi * 4 + vj] = T.float32(1)`);
    const outer = blk(f.body).block;
    expect(outer.writes).toHaveLength(1);
    expect(outer.writes[0]!.region[0]!.extent).toEqual(new IntImm(int32, 4));
    const g = fn(`
with T.block("root"):
    with T.block("opaque"):
        A[0] = T.float32(1)`);
    const root = (g.body as BlockRealize).block;
    expect(root.nameHint).toBe("root");
    expect((root.body as BlockRealize).block.iterVars).toHaveLength(0);
  });

  it("no_realize blocks and unnamed blocks", () => {
    const f = fn(`
with T.block("", no_realize=True):
    v = T.axis.spatial(16)
    T.reads()
    T.writes()
    A[v] = T.float32(0)`);
    const root = (f.body as BlockRealize).block;
    const b = root.body as Block;
    expect(b).toBeInstanceOf(Block);
    expect([b.nameHint, b.iterVars.length, b.reads.length]).toEqual(["", 1, 0]);
  });

  it("separate T.axis lines and T.axis.remap give the same block", () => {
    const a = fn(`
for i, j in T.grid(4, 4):
    with T.block("b"):
        vi = T.axis.spatial(4, i)
        vj = T.axis.reduce(4, j)
        A[vi] = A[vi] + T.Cast("float32", B[vj])`);
    const b = fn(`
for i, j in T.grid(4, 4):
    with T.block("b"):
        vi, vj = T.axis.remap("SR", [i, j])
        A[vi] = A[vi] + T.Cast("float32", B[vj])`);
    expect(structuralEqual(a, b)).toBe(true);
  });

  it("no root block without blocks or allocations; a root block for top-level allocations only", () => {
    expect(body("A[0] = 1")).toBeInstanceOf(BufferStore);
    const s = body("C = T.alloc_buffer((4,))\nC[0] = A[0]") as BlockRealize;
    expect(s.block.nameHint).toBe("root");
    expect(s.block.allocBuffers.map((b) => b.name)).toEqual(["C"]);
  });
});

describe("parseExpr-like values inside functions", () => {
  it("symbolic variables: T.int32(), T.int64(), size vars and handles", () => {
    const f = fn(`
n = T.int32()
m = T.int64(is_size_var=True)
p = T.handle("float32", "shared")
A[0] = T.Cast("float32", n) + T.Cast("float32", m)
T.evaluate(T.call_extern("int32", "use", p))`);
    const st = seq(f.body)[0] as BufferStore;
    const vars: PrimExpr[] = [];
    const walk = (e: PrimExpr): void => {
      if (e instanceof Var) vars.push(e);
      for (const k of ["a", "b", "value"] as const) {
        const c = (e as unknown as Record<string, PrimExpr | undefined>)[k];
        if (c && typeof c === "object" && "dtype" in c) walk(c);
      }
    };
    walk(st.value);
    expect(vars.map((v) => [(v as Var).name, v.kind, String(v.dtype)])).toEqual([["n", "Var", "int32"], ["m", "SizeVar", "int64"]]);
  });
});

describe("T.axis.remap with one axis", () => {
  it("binds a single name as TVM accepts", async () => {
    const { parsePrimFunc, printScript } = await import("../../src/tir/script/index.js");
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for k in range(8):
        with T.block("B"):
            vk = T.axis.remap("S", [k])
            B[vk] = A[vk]
`);
    expect(printScript(f)).toContain("vk = T.axis.spatial(8, k)");
  });
});
