import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SPEC_SOFTMAX, SPEC_TILED_MATMUL } from "./spec_examples.js";
import { Buffer, BufferRegion } from "../../src/ir/buffer.js";
import { float32, int32 } from "../../src/ir/dtype.js";
import { BufferLoad, FloatImm, IntImm, Var, type PrimExpr } from "../../src/ir/expr.js";
import { IRModule } from "../../src/ir/module.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Block, BlockRealize, For, SeqStmt, type Stmt } from "../../src/tir/stmt.js";
import { parsePrimFunc, parseScript } from "../../src/tir/script/parser/index.js";

const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8");

/** All realized blocks of a function, outermost first (the root block included). */
function blocks(s: Stmt): Block[] {
  const out: Block[] = [];
  const walk = (x: Stmt | undefined): void => {
    if (!x) return;
    if (x instanceof BlockRealize) return walk(x.block);
    if (x instanceof Block) {
      out.push(x);
      walk(x.init);
      return walk(x.body);
    }
    if (x instanceof SeqStmt) return x.seq.forEach(walk);
    const b = (x as { body?: Stmt }).body;
    if (b) walk(b);
  };
  walk(s);
  return out;
}

function block(f: PrimFunc, name: string): Block {
  const b = blocks(f.body).find((x) => x.nameHint === name);
  if (!b) throw new Error(`no block ${name}`);
  return b;
}

function loops(s: Stmt): For[] {
  const out: For[] = [];
  const walk = (x: Stmt | undefined): void => {
    if (!x) return;
    if (x instanceof For) out.push(x);
    if (x instanceof SeqStmt) return x.seq.forEach(walk);
    if (x instanceof BlockRealize) return walk(x.block);
    if (x instanceof Block) {
      walk(x.init);
      return walk(x.body);
    }
    walk((x as { body?: Stmt }).body);
  };
  walk(s);
  return out;
}

function regionText(r: BufferRegion): string {
  const e = (x: PrimExpr): string => (x instanceof IntImm ? String(x.value) : x instanceof Var ? x.name : x.kind);
  return `${r.buffer.name}[${r.region.map((g) => (g.extent instanceof IntImm && g.extent.value === 1 ? e(g.min) : `${e(g.min)}:+${e(g.extent)}`)).join(", ")}]`;
}

describe("parseScript: the spec's examples", () => {
  it("softmax: root block with three allocations and four reduction/elementwise blocks", () => {
    const mod = parseScript(SPEC_SOFTMAX, "softmax.py");
    expect(mod.globalVars.map((g) => g.name)).toEqual(["softmax"]);
    const f = mod.get("softmax") as PrimFunc;
    expect(f.attrs).toEqual({ "tir.noalias": true, global_symbol: "softmax" });
    expect(f.params.map((p) => p.name)).toEqual(["A", "B"]);
    expect([...f.bufferMap.values()].map((b) => [b.name, b.dtype, b.shape.map((s) => (s as IntImm).value)])).toEqual([
      ["A", float32, [128, 256]],
      ["B", float32, [128, 256]],
    ]);
    expect(f.body).toBeInstanceOf(BlockRealize);
    const root = (f.body as BlockRealize).block;
    expect(root.nameHint).toBe("root");
    expect(root.iterVars).toHaveLength(0);
    expect(root.allocBuffers.map((b) => b.name)).toEqual(["A_max", "A_exp", "A_sum"]);
    expect(blocks(f.body).map((b) => b.nameHint)).toEqual(["root", "A_max", "A_exp", "A_sum", "B"]);
    const amax = block(f, "A_max");
    expect(amax.iterVars.map((iv) => [iv.variable.name, iv.iterType])).toEqual([["vi", "DataPar"], ["vk", "CommReduce"]]);
    expect((amax.init as unknown as { value: FloatImm }).value.value).toBe(-3.4028234663852886e38);
    expect(block(f, "A_exp").reads.map(regionText)).toEqual(["A[vi, vj]", "A_max[vi]"]);
    expect(loops(f.body).every((l) => l.forKind === "serial")).toBe(true);
  });

  it("tiled matmul: parallel loop with annotations, vectorized loop, computed bindings", () => {
    const f = parsePrimFunc(SPEC_TILED_MATMUL, "mm.py");
    const ls = loops(f.body);
    expect(ls.map((l) => [l.loopVar.name, l.forKind, (l.extent as IntImm).value])).toEqual([
      ["i_0_j_0_fused", "parallel", 512],
      ["k", "serial", 1024],
      ["i_1", "serial", 32],
      ["j_1", "vectorized", 64],
    ]);
    expect(ls[0]!.annotations).toEqual({ pragma_auto_unroll_max_step: 64 });
    const c = block(f, "C");
    expect(c.iterVars.map((iv) => iv.iterType)).toEqual(["DataPar", "DataPar", "CommReduce"]);
    const realize = (ls[3]!.body as BlockRealize);
    expect(realize.iterValues.map((v) => v.kind)).toEqual(["Add", "Add", "Var"]);
    expect(realize.iterValues[2]).toBe(ls[1]!.loopVar);
    expect(c.writes.map(regionText)).toEqual(["C[vi, vj]"]);
  });
});

describe("parseScript: the repository examples", () => {
  it("examples/matmul.py gets its reads/writes filled in (the written buffer excluded from reads)", () => {
    const f = parsePrimFunc(example("matmul.py"), "examples/matmul.py");
    const c = block(f, "C");
    expect(c.reads.map(regionText)).toEqual(["A[vi, vk]", "B[vk, vj]"]);
    expect(c.writes.map(regionText)).toEqual(["C[vi, vj]"]);
    expect(((f.body as BlockRealize).block.nameHint)).toBe("root");
  });

  it("examples/softmax.py equals the spec's fully printed softmax", () => {
    const a = parsePrimFunc(example("softmax.py"));
    const b = parsePrimFunc(SPEC_SOFTMAX);
    expect(structuralEqual(a, b)).toBe(true);
  });

  it("examples/dynamic.py: handles, a symbolic shape and match_buffer", () => {
    const f = parsePrimFunc(example("dynamic.py"), "examples/dynamic.py");
    expect(f.params.map((p) => [p.name, String(p.dtype)])).toEqual([["a", "handle"], ["b", "handle"]]);
    const [A, B] = [...f.bufferMap.values()] as [Buffer, Buffer];
    expect(A.shape[0]).toBeInstanceOf(Var);
    expect(A.shape[0]).toBe(B.shape[0]);
    expect((A.shape[0] as Var).name).toBe("n");
    expect(loops(f.body)[0]!.extent).toBe(A.shape[0]);
    expect(block(f, "B").reads.map(regionText)).toEqual(["A[vi, vj]"]);
  });
});

const MATMUL_CANONICAL = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(128, 128, 128):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            T.reads(A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            with T.init():
                C[vi, vj] = T.float32(0.0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

describe("parseScript: handwritten and older spellings", () => {
  it("T.handle + T.match_buffer + list-form T.reads + T.axis.S/R + -> None", () => {
    const src = `
from tvm.script import tir as T

@T.prim_func
def main(a: T.handle, b: T.handle, c: T.handle) -> None:
    T.func_attr({"global_symbol": "main", "tir.noalias": True})
    A = T.match_buffer(a, [128, 128], dtype="float32")
    B = T.match_buffer(b, [128, 128], dtype="float32")
    C = T.match_buffer(c, [128, 128], dtype="float32")
    for i, j, k in T.grid(128, 128, 128):
        with T.block("C"):
            vi = T.axis.S(128, i)
            vj = T.axis.S(128, j)
            vk = T.axis.R(128, k)
            T.reads([A[vi, vk], B[vk, vj]])
            T.writes([C[vi, vj]])
            with T.init():
                C[vi, vj] = 0.0
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;
    const f = parsePrimFunc(src);
    expect(f.retType).toBeUndefined();
    expect(f.params.map((p) => p.name)).toEqual(["a", "b", "c"]);
    expect(structuralEqual(f, parsePrimFunc(MATMUL_CANONICAL))).toBe(true);
  });

  it("a PrimFunc from TVM's documentation (tvm.script.ir_module, T.axis.spatial, a float literal)", () => {
    const src = `
import tvm
from tvm.script import tir as T

@tvm.script.ir_module
class MyModule:
    @T.prim_func
    def main(a: T.handle, b: T.handle):
        # We exchange data between function by handles, which are similar to pointer.
        T.func_attr({"global_symbol": "main", "tir.noalias": True})
        # Create buffer from handles.
        A = T.match_buffer(a, (8,), dtype="float32")
        B = T.match_buffer(b, (8,), dtype="float32")
        for i in range(8):
            # A block is an abstraction for computation.
            with T.block("B"):
                # Define a spatial block iterator and bind it to value i.
                vi = T.axis.spatial(8, i)
                B[vi] = A[vi] + 1.0
`;
    const f = parsePrimFunc(src);
    const b = block(f, "B");
    expect(b.reads.map(regionText)).toEqual(["A[vi]"]);
    const store = b.body as unknown as { value: { b: FloatImm } };
    expect(store.value.b).toBeInstanceOf(FloatImm);
    expect(store.value.b.dtype).toBe(float32);
  });

  it("a multi-line signature from the MLC course with separate T.axis lines", () => {
    const src = `
@tvm.script.ir_module
class MyModule:
    @T.prim_func
    def mm_relu(A: T.Buffer((128, 128), "float32"),
                B: T.Buffer((128, 128), "float32"),
                C: T.Buffer((128, 128), "float32")):
        T.func_attr({"global_symbol": "mm_relu", "tir.noalias": True})
        Y = T.alloc_buffer((128, 128), dtype="float32")
        for i, j, k in T.grid(128, 128, 128):
            with T.block("Y"):
                vi = T.axis.spatial(128, i)
                vj = T.axis.spatial(128, j)
                vk = T.axis.reduce(128, k)
                with T.init():
                    Y[vi, vj] = T.float32(0)
                Y[vi, vj] = Y[vi, vj] + A[vi, vk] * B[vk, vj]
        for i, j in T.grid(128, 128):
            with T.block("C"):
                vi = T.axis.spatial(128, i)
                vj = T.axis.spatial(128, j)
                C[vi, vj] = T.max(Y[vi, vj], T.float32(0))
`;
    const remapped = src
      .replace(/vi = T\.axis\.spatial\(128, i\)\n\s+vj = T\.axis\.spatial\(128, j\)\n\s+vk = T\.axis\.reduce\(128, k\)/, 'vi, vj, vk = T.axis.remap("SSR", [i, j, k])')
      .replace(/vi = T\.axis\.spatial\(128, i\)\n\s+vj = T\.axis\.spatial\(128, j\)/, 'vi, vj = T.axis.remap("SS", [i, j])');
    expect(remapped).not.toBe(src);
    const a = parsePrimFunc(src), b = parsePrimFunc(remapped);
    expect(structuralEqual(a, b)).toBe(true);
    expect((a.body as BlockRealize).block.allocBuffers.map((x) => x.name)).toEqual(["Y"]);
  });

  it("an IRModule with two functions binds both under their Python names", () => {
    const src = `
# from tvm.script import ir as I
# from tvm.script import tir as T

@I.ir_module
class Module:
    @T.prim_func(private=True)
    def add_one(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
        for i in range(16):
            B[i] = A[i] + T.float32(1.0)

    @T.prim_func
    def main(A: T.Buffer((16,), "int32")):
        for i in T.serial(16):
            A[i] = i
`;
    const mod = parseScript(src);
    expect(mod).toBeInstanceOf(IRModule);
    expect(mod.globalVars.map((g) => g.name)).toEqual(["add_one", "main"]);
    expect((mod.get("add_one") as PrimFunc).attrs).toEqual({});
    expect((mod.get("main") as PrimFunc).attrs).toEqual({ global_symbol: "main" });
    // No blocks and no allocations: no root block.
    expect((mod.get("main") as PrimFunc).body).toBeInstanceOf(For);
  });

  it("several top-level functions make one module", () => {
    const src = `
@T.prim_func
def f(A: T.Buffer((4,), "float32")):
    A[0] = T.float32(1)

@T.prim_func(check_well_formed=False)
def g(A: T.Buffer((4,), "float32")):
    A[1] = T.float32(2)
`;
    expect(parseScript(src).globalVars.map((g) => g.name)).toEqual(["f", "g"]);
  });

  it("TVM >= 0.24 spellings: scalar param, let, +=, T.sblock / T.sblock_attr / T.sblock_alloc_buffer", () => {
    const src = `
@T.prim_func
def scaled_sum(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64,), "float32"), n: T.int32):
    for i in range(64):
        with T.sblock("row"):
            vi = T.axis.spatial(64, i)
            T.reads(A[vi, 0:64])
            T.writes(B[vi])
            T.sblock_attr({"meta_schedule.tiling_structure": "SSR"})
            acc = T.sblock_alloc_buffer((1,), scope="local")
            acc[0] = T.float32(0)
            for k in range(64):
                acc[0] += A[vi, k]
            s: T.float32 = T.Cast("float32", n)
            B[vi] = acc[0] * s
`;
    const f = parsePrimFunc(src);
    expect(f.params.map((p) => [p.name, String(p.dtype)])).toEqual([["A", "handle"], ["B", "handle"], ["n", "int32"]]);
    const row = block(f, "row");
    expect(row.annotations).toEqual({ "meta_schedule.tiling_structure": "SSR" });
    expect(row.allocBuffers.map((b) => [b.name, b.scope])).toEqual([["acc", "local"]]);
    expect(row.reads.map(regionText)).toEqual(["A[vi, 0:+64]"]);
    const body = row.body as SeqStmt;
    expect(body.seq.map((s) => s.kind)).toEqual(["BufferStore", "For", "LetStmt"]);
    const inc = (body.seq[1] as For).body as unknown as { value: { kind: string; a: BufferLoad } };
    expect(inc.value.kind).toBe("Add");
    expect(inc.value.a.buffer.name).toBe("acc");
    const let_ = body.seq[2] as unknown as { variable: Var; value: PrimExpr };
    expect(let_.variable.name).toBe("s");
    expect(let_.variable.dtype).toBe(float32);
    expect(let_.value.kind).toBe("Cast");

    const legacy = src.replaceAll("T.sblock_attr", "T.block_attr").replaceAll("T.sblock_alloc_buffer", "T.alloc_buffer").replaceAll("T.sblock(", "T.block(");
    expect(structuralEqual(f, parsePrimFunc(legacy))).toBe(true);
  });

  it("omitted reads/writes are inferred; a block giving only T.writes keeps them and infers reads", () => {
    const omitted = MATMUL_CANONICAL.replace(/\s+T\.reads\(.*\)\n\s+T\.writes\(.*\)/, "");
    expect(omitted).not.toContain("T.reads");
    expect(structuralEqual(parsePrimFunc(omitted), parsePrimFunc(MATMUL_CANONICAL))).toBe(true);

    const onlyWrites = MATMUL_CANONICAL.replace(/T\.reads\(.*\)\n\s+T\.writes\(.*\)/, "T.writes(C[vi, 0:128])");
    const c = block(parsePrimFunc(onlyWrites), "C");
    expect(c.reads.map(regionText)).toEqual(["A[vi, vk]", "B[vk, vj]"]);
    expect(c.writes.map(regionText)).toEqual(["C[vi, 0:+128]"]);
  });

  it("older and newer spellings of buffers, loops and variables give the same function", () => {
    const newer = `
@T.prim_func
def f(a: T.handle, B: T.Buffer((16,), "float32")):
    n = T.int32()
    A = T.match_buffer(a, (n,), "float32")
    for i in range(n):
        for j in range(2, 16):
            B[j] = A[i]
`;
    const older = `
@T.prim_func
def f(a: T.handle, B: T.Buffer[(16,), "float32"]) -> None:
    n = T.var("int32")
    A = T.match_buffer(a, [n], dtype="float32")
    for i in T.serial(0, n):
        for j in T.serial(2, 16):
            B[j] = A[i]
`;
    expect(structuralEqual(parsePrimFunc(newer), parsePrimFunc(older), { mapFreeVars: true })).toBe(true);
  });

  it("loops take the dtype of their extent; int64 extents make int64 loop and block vars", () => {
    const f = parsePrimFunc(`
@T.prim_func
def f(A: T.Buffer((T.int64(8), T.int64(4)), "float32")):
    for i, j in T.grid(T.int64(8), T.int64(4)):
        with T.block("A"):
            vi, vj = T.axis.remap("SS", [i, j])
            A[vi, vj] = T.float32(0)
    for k in range(8):
        A[T.int64(0), T.int64(0)] = T.Cast("float32", k)
`);
    const ls = loops(f.body);
    expect(ls.map((l) => String(l.loopVar.dtype))).toEqual(["int64", "int64", "int32"]);
    expect(block(f, "A").iterVars.map((iv) => String(iv.variable.dtype))).toEqual(["int64", "int64"]);
    expect(ls[2]!.min).toEqual(new IntImm(int32, 0));
  });
});
