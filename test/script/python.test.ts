import { describe, expect, it } from "vitest";
import {
  parsePython,
  scriptError,
  tokenize,
  ScriptError,
  type Expr,
  type Module,
  type Stmt,
  type Token,
} from "../../src/tir/script/python/index.js";

/** A compact s-expression rendering of an expression, for precedence / shape assertions. */
function sx(e: Expr | undefined): string {
  if (e === undefined) return "";
  switch (e.kind) {
    case "Name": return e.id;
    case "Constant": return e.raw;
    case "BinOp": return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case "UnaryOp": return `(${e.op} ${sx(e.operand)})`;
    case "BoolOp": return `(${e.op} ${e.values.map(sx).join(" ")})`;
    case "Compare": return `(cmp ${sx(e.left)} ${e.ops.map((o, i) => `${o} ${sx(e.comparators[i])}`).join(" ")})`;
    case "IfExp": return `(if ${sx(e.test)} ${sx(e.body)} ${sx(e.orelse)})`;
    case "Lambda": return `(lambda (${e.args.map((a) => (a.default ? `${a.name}=${sx(a.default)}` : a.name)).join(" ")}) ${sx(e.body)})`;
    case "Call": return `(call ${[sx(e.func), ...e.args.map(sx), ...e.keywords.map((k) => `${k.name ?? "**"}=${sx(k.value)}`)].join(" ")})`;
    case "Attribute": return `${sx(e.value)}.${e.attr}`;
    case "Subscript": return `${sx(e.value)}[${sx(e.index)}]`;
    case "Slice": return `${sx(e.lower)}:${sx(e.upper)}${e.step ? `:${sx(e.step)}` : ""}`;
    case "Tuple": return `(tuple${e.elts.map((x) => " " + sx(x)).join("")})`;
    case "List": return `[${e.elts.map(sx).join(" ")}]`;
    case "Dict": return `{${e.keys.map((k, i) => `${k ? sx(k) : "**"}: ${sx(e.values[i])}`).join(", ")}}`;
    case "Set": return `(set ${e.elts.map(sx).join(" ")})`;
    case "Starred": return `*${sx(e.value)}`;
  }
}

/** Parse a single expression statement. */
function expr(src: string): Expr {
  const m = parsePython(src);
  expect(m.body).toHaveLength(1);
  const s = m.body[0]!;
  if (s.kind !== "ExprStmt") throw new Error(`not an expression statement: ${s.kind}`);
  return s.value;
}

const sxOf = (src: string): string => sx(expr(src));

function stmt<K extends Stmt["kind"]>(src: string, kind: K): Extract<Stmt, { kind: K }> {
  const m = parsePython(src);
  expect(m.body).toHaveLength(1);
  expect(m.body[0]!.kind).toBe(kind);
  return m.body[0] as Extract<Stmt, { kind: K }>;
}

/** Parse `src` expecting a ScriptError; returns it. */
function syntaxError(src: string, file = "t.py"): ScriptError {
  try {
    parsePython(src, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return e as ScriptError;
  }
  throw new Error(`expected a syntax error for ${JSON.stringify(src)}`);
}

const EXAMPLE_1 = `# from tvm.script import tir as T

@T.prim_func
def main(A: T.Buffer((1024, 1024), "float32"), B: T.Buffer((1024, 1024), "float32"), C: T.Buffer((1024, 1024), "float32")):
    T.func_attr({"tir.noalias": True})
    # with T.block("root"):
    for i_0_j_0_fused in T.parallel(512, annotations={"pragma_auto_unroll_max_step": 64}):
        for k, i_1 in T.grid(1024, 32):
            for j_1 in T.vectorized(64):
                with T.block("C"):
                    vi = T.axis.spatial(1024, i_0_j_0_fused // 16 * 32 + i_1)
                    vj = T.axis.spatial(1024, i_0_j_0_fused % 16 * 64 + j_1)
                    vk = T.axis.reduce(1024, k)
                    T.reads(A[vi, vk], B[vk, vj])
                    T.writes(C[vi, vj])
                    with T.init():
                        C[vi, vj] = T.float32(0.0)
                    C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const EXAMPLE_2 = `@I.ir_module
class Module:
    @T.prim_func
    def func(a: T.handle, b: T.handle) -> None:
        n = T.int32()
        A = T.match_buffer(a, (n, 128), "float32")
        B = T.match_buffer(b, [n, 128])
        for i in range(n):
            x: T.float32 = A[i, 0] * T.float32(2)
            if x > T.float32(0) and not (i == 3):
                B[i, 0] += x
            else:
                B[i, 0] = T.if_then_else(i < 2, -x, x ** 2)
        A_1 = T.alloc_buffer((16,), "float16", scope="shared")
        f = lambda i, j: (j, i)
`;

describe("TVMScript examples", () => {
  it("parses a scheduled matmul prim_func", () => {
    const m: Module = parsePython(EXAMPLE_1, "matmul.py");
    expect(m.kind).toBe("Module");
    expect(m.file).toBe("matmul.py");
    expect(m.body).toHaveLength(1);
    const fn = m.body[0]!;
    if (fn.kind !== "FunctionDef") throw new Error("expected FunctionDef");
    expect(fn.name).toBe("main");
    expect(fn.decorators.map(sx)).toEqual(["T.prim_func"]);
    expect(fn.args.map((a) => [a.name, a.kind, sx(a.annotation)])).toEqual([
      ["A", "normal", '(call T.Buffer (tuple 1024 1024) "float32")'],
      ["B", "normal", '(call T.Buffer (tuple 1024 1024) "float32")'],
      ["C", "normal", '(call T.Buffer (tuple 1024 1024) "float32")'],
    ]);
    expect(fn.returns).toBeUndefined();
    expect(fn.span).toEqual({ line: 4, col: 1, endLine: 18, endCol: 66 });
    expect(fn.body.map((s) => s.kind)).toEqual(["ExprStmt", "For"]);
    const attr = fn.body[0]!;
    expect(attr.kind === "ExprStmt" && sx(attr.value)).toBe('(call T.func_attr {"tir.noalias": True})');

    const outer = fn.body[1]!;
    if (outer.kind !== "For") throw new Error("expected For");
    expect(sx(outer.target)).toBe("i_0_j_0_fused");
    expect(sx(outer.iter)).toBe('(call T.parallel 512 annotations={"pragma_auto_unroll_max_step": 64})');
    const mid = outer.body[0]!;
    if (mid.kind !== "For") throw new Error("expected For");
    expect(mid.target).toMatchObject({ kind: "Tuple", parenthesized: false });
    expect(sx(mid.target)).toBe("(tuple k i_1)");
    expect(sx(mid.iter)).toBe("(call T.grid 1024 32)");
    const inner = mid.body[0]!;
    if (inner.kind !== "For") throw new Error("expected For");
    const blk = inner.body[0]!;
    if (blk.kind !== "With") throw new Error("expected With");
    expect(blk.items).toHaveLength(1);
    expect(sx(blk.items[0]!.context)).toBe('(call T.block "C")');
    expect(blk.items[0]!.target).toBeUndefined();
    expect(blk.body.map((s) => s.kind)).toEqual(["Assign", "Assign", "Assign", "ExprStmt", "ExprStmt", "With", "Assign"]);
    const vi = blk.body[0]!;
    if (vi.kind !== "Assign") throw new Error("expected Assign");
    expect(vi.targets.map(sx)).toEqual(["vi"]);
    expect(sx(vi.value)).toBe("(call T.axis.spatial 1024 (+ (* (// i_0_j_0_fused 16) 32) i_1))");
    const vj = blk.body[1]!;
    expect(vj.kind === "Assign" && sx(vj.value)).toBe("(call T.axis.spatial 1024 (+ (* (% i_0_j_0_fused 16) 64) j_1))");
    const reads = blk.body[3]!;
    expect(reads.kind === "ExprStmt" && sx(reads.value)).toBe("(call T.reads A[(tuple vi vk)] B[(tuple vk vj)])");
    const init = blk.body[5]!;
    if (init.kind !== "With") throw new Error("expected With");
    expect(sx(init.items[0]!.context)).toBe("(call T.init)");
    const initStore = init.body[0]!;
    expect(initStore.kind === "Assign" && [sx(initStore.targets[0]), sx(initStore.value)]).toEqual([
      "C[(tuple vi vj)]",
      "(call T.float32 0.0)",
    ]);
    const update = blk.body[6]!;
    expect(update.kind === "Assign" && sx(update.value)).toBe("(+ C[(tuple vi vj)] (* A[(tuple vi vk)] B[(tuple vk vj)]))");
  });

  it("parses an ir_module class with control flow, annotations and lambdas", () => {
    const m = parsePython(EXAMPLE_2);
    const cls = m.body[0]!;
    if (cls.kind !== "ClassDef") throw new Error("expected ClassDef");
    expect(cls.name).toBe("Module");
    expect(cls.bases).toEqual([]);
    expect(cls.decorators.map(sx)).toEqual(["I.ir_module"]);
    const fn = cls.body[0]!;
    if (fn.kind !== "FunctionDef") throw new Error("expected FunctionDef");
    expect(fn.decorators.map(sx)).toEqual(["T.prim_func"]);
    expect(fn.args.map((a) => `${a.name}: ${sx(a.annotation)}`)).toEqual(["a: T.handle", "b: T.handle"]);
    expect(fn.returns).toMatchObject({ kind: "Constant", valueKind: "none", value: null });
    expect(fn.body.map((s) => s.kind)).toEqual(["Assign", "Assign", "Assign", "For", "Assign", "Assign"]);
    const [n, a, b, loop, alloc, f] = fn.body;
    expect(n!.kind === "Assign" && sx(n!.value)).toBe("(call T.int32)");
    expect(a!.kind === "Assign" && sx(a!.value)).toBe('(call T.match_buffer a (tuple n 128) "float32")');
    expect(b!.kind === "Assign" && sx(b!.value)).toBe("(call T.match_buffer b [n 128])");
    if (loop!.kind !== "For") throw new Error("expected For");
    expect(sx(loop!.iter)).toBe("(call range n)");
    const [ann, cond] = loop!.body;
    if (ann!.kind !== "AnnAssign") throw new Error("expected AnnAssign");
    expect([sx(ann!.target), sx(ann!.annotation), sx(ann!.value)]).toEqual([
      "x",
      "T.float32",
      "(* A[(tuple i 0)] (call T.float32 2))",
    ]);
    if (cond!.kind !== "If") throw new Error("expected If");
    expect(sx(cond!.test)).toBe("(and (cmp x > (call T.float32 0)) (not (cmp i == 3)))");
    const aug = cond!.body[0]!;
    if (aug.kind !== "AugAssign") throw new Error("expected AugAssign");
    expect([sx(aug.target), aug.op, sx(aug.value)]).toEqual(["B[(tuple i 0)]", "+", "x"]);
    const els = cond!.orelse[0]!;
    expect(els.kind === "Assign" && sx(els.value)).toBe("(call T.if_then_else (cmp i < 2) (- x) (** x 2))");
    expect(alloc!.kind === "Assign" && sx(alloc!.value)).toBe('(call T.alloc_buffer (tuple 16) "float16" scope="shared")');
    if (f!.kind !== "Assign") throw new Error("expected Assign");
    expect(sx(f!.value)).toBe("(lambda (i j) (tuple j i))");
    expect(f!.value).toMatchObject({ kind: "Lambda", body: { kind: "Tuple", parenthesized: true } });
  });

  it("keeps source and file on the module for later diagnostics", () => {
    const m = parsePython("x = 1\n", "a.py");
    expect(m.source).toBe("x = 1\n");
    expect(m.file).toBe("a.py");
    expect(parsePython("x").file).toBe("<string>");
  });
});

describe("tokenizer", () => {
  const kinds = (src: string): string[] =>
    tokenize(src).map((t: Token) => (t.type === "op" || t.type === "name" || t.type === "keyword" ? t.value : t.type.toUpperCase()));

  it("emits NEWLINE / INDENT / DEDENT like Python", () => {
    expect(kinds("if x:\n    y\n    if z:\n        w\nv\n")).toEqual([
      "if", "x", ":", "NEWLINE", "INDENT", "y", "NEWLINE", "if", "z", ":", "NEWLINE", "INDENT", "w", "NEWLINE",
      "DEDENT", "DEDENT", "v", "NEWLINE", "EOF",
    ]);
    // Dedents still close at end of input, and a missing final newline is supplied.
    expect(kinds("if x:\n  y")).toEqual(["if", "x", ":", "NEWLINE", "INDENT", "y", "NEWLINE", "DEDENT", "EOF"]);
    expect(kinds("")).toEqual(["EOF"]);
    expect(kinds("\n\n  # only a comment\n")).toEqual(["EOF"]);
  });

  it("ignores blank lines, comments, and line breaks inside brackets or after a backslash", () => {
    expect(kinds("f(a,\n  b,  # c\n\n      c)\n")).toEqual(["f", "(", "a", ",", "b", ",", "c", ")", "NEWLINE", "EOF"]);
    expect(kinds("x = 1 + \\\n        2\n")).toEqual(["x", "=", "INT", "+", "INT", "NEWLINE", "EOF"]);
    expect(kinds("if x:\n    a\n\n        # deeper comment\n    b\n")).toEqual([
      "if", "x", ":", "NEWLINE", "INDENT", "a", "NEWLINE", "b", "NEWLINE", "DEDENT", "EOF",
    ]);
  });

  it("handles CRLF and CR line endings", () => {
    const toks = tokenize("if x:\r\n    y = 'a'\r\nz\r");
    expect(toks.map((t) => t.type)).toEqual([
      "keyword", "name", "op", "newline", "indent", "name", "op", "string", "newline", "dedent", "name", "newline", "eof",
    ]);
    expect(toks.find((t) => t.value === "z")).toMatchObject({ line: 3, col: 1 });
  });

  it("treats tabs as 8-column stops and rejects ambiguous tab/space mixes", () => {
    expect(parsePython("if x:\n\ty = 1\n\tz = 2\n").body[0]).toMatchObject({ kind: "If" });
    // A tab and 8 spaces are the same level at tab size 8 but not at tab size 1.
    const e = syntaxError("if x:\n\ty = 1\n        z = 2\n");
    expect(e.detail).toBe("inconsistent use of tabs and spaces in indentation");
    expect(e.line).toBe(3);
  });

  it("scans numbers", () => {
    const lit = (src: string): unknown => {
      const e = expr(src);
      if (e.kind !== "Constant") throw new Error("not a constant");
      return [e.value, e.valueKind, e.raw];
    };
    expect(lit("42")).toEqual([42, "int", "42"]);
    expect(lit("0")).toEqual([0, "int", "0"]);
    expect(lit("0x1F")).toEqual([31, "int", "0x1F"]);
    expect(lit("0b1010")).toEqual([10, "int", "0b1010"]);
    expect(lit("0o777")).toEqual([511, "int", "0o777"]);
    expect(lit("1_000_000")).toEqual([1000000, "int", "1_000_000"]);
    expect(lit("0x_ff")).toEqual([255, "int", "0x_ff"]);
    expect(lit("9007199254740991")).toEqual([9007199254740991, "int", "9007199254740991"]);
    expect(lit("9007199254740993")).toEqual([9007199254740993n, "int", "9007199254740993"]);
    expect(lit("0xffffffffffffffff")).toEqual([0xffffffffffffffffn, "int", "0xffffffffffffffff"]);
    expect(lit("1.5")).toEqual([1.5, "float", "1.5"]);
    expect(lit("1.0")).toEqual([1, "float", "1.0"]);
    expect(lit("1e-05")).toEqual([1e-5, "float", "1e-05"]);
    expect(lit(".5")).toEqual([0.5, "float", ".5"]);
    expect(lit("5.")).toEqual([5, "float", "5."]);
    expect(lit("1E10")).toEqual([1e10, "float", "1E10"]);
    expect(lit("1.0000000000000001e-05")).toEqual([1.0000000000000001e-5, "float", "1.0000000000000001e-05"]);
    expect(lit("3.4028234663852886e+38")).toEqual([3.4028234663852886e38, "float", "3.4028234663852886e+38"]);
    expect(lit("1_0.2_5")).toEqual([10.25, "float", "1_0.2_5"]);
  });

  it("scans strings with escapes, triple quotes, raw prefixes and implicit concatenation", () => {
    const str = (src: string): unknown => {
      const e = expr(src);
      if (e.kind !== "Constant" || e.valueKind !== "str") throw new Error("not a string");
      return e.value;
    };
    expect(str(`"float32"`)).toBe("float32");
    expect(str(`'it\\'s'`)).toBe("it's");
    expect(str(`"a\\n\\t\\\\\\"\\x41\\u00e9\\U0001F600\\101\\0"`)).toBe('a\n\t\\"A\u00e9\u{1F600}A\0');
    expect(str(`"unknown \\q kept"`)).toBe("unknown \\q kept");
    expect(str(`"""multi\nline 'quoted' "x" """`)).toBe(`multi\nline 'quoted' "x" `);
    expect(str(`'''a\\\nb'''`)).toBe("ab");
    expect(str(`r"\\n\\d"`)).toBe("\\n\\d");
    expect(str(`R'\\''`)).toBe("\\'");
    expect(str(`u"x"`)).toBe("x");
    const cat = expr(`"a" 'b'\n`);
    expect(cat).toMatchObject({ kind: "Constant", value: "ab", raw: `"a" 'b'` });
    const multi = expr(`("a"\n "b")`);
    expect(multi).toMatchObject({ value: "ab", span: { line: 1, col: 2, endLine: 2, endCol: 5 } });
  });

  it("matches operators longest-first and recognizes keywords", () => {
    const ops = tokenize("a **= b // c ->d ... <<= >>= != == <= >= := @= ** //= -= ~x").filter((t) => t.type === "op");
    expect(ops.map((t) => t.value)).toEqual(["**=", "//", "->", "...", "<<=", ">>=", "!=", "==", "<=", ">=", ":=", "@=", "**", "//=", "-=", "~"]);
    const t = tokenize("lambda not in is None match");
    expect(t.slice(0, 6).map((x) => x.type)).toEqual(["keyword", "keyword", "keyword", "keyword", "keyword", "name"]);
  });

  it("records 1-based positions with exclusive end columns", () => {
    const [a, eq, s] = tokenize("ab = 'xy'\n");
    expect(a).toMatchObject({ line: 1, col: 1, endLine: 1, endCol: 3, start: 0, end: 2 });
    expect(eq).toMatchObject({ col: 4, endCol: 5 });
    expect(s).toMatchObject({ type: "string", value: "xy", col: 6, endCol: 10 });
    const tq = tokenize('x = """a\nbc"""\n')[2]!;
    expect(tq).toMatchObject({ line: 1, col: 5, endLine: 2, endCol: 6 });
  });

  it("accepts unicode identifiers", () => {
    expect(sxOf("résumé + π")).toBe("(+ résumé π)");
    expect(sxOf("\u{1D465}\u{1D466} * 2")).toBe("(* \u{1D465}\u{1D466} 2)");
    expect(syntaxError("x = \u{1F600}").detail).toBe("invalid character '\u{1F600}' (U+1F600)");
  });
});

describe("expressions and precedence", () => {
  it.each([
    ["-2**2", "(- (** 2 2))"],
    ["2**-1", "(** 2 (- 1))"],
    ["a**b**c", "(** a (** b c))"],
    ["-x**y.z[0](1)", "(- (** x (call y.z[0] 1)))"],
    ["~a + -b - +c", "(- (+ (~ a) (- b)) (+ c))"],
    ["a - b - c", "(- (- a b) c)"],
    ["a // b % c / d * e @ f", "(@ (* (/ (% (// a b) c) d) e) f)"],
    ["a + b * c", "(+ a (* b c))"],
    ["(a + b) * c", "(* (+ a b) c)"],
    ["a << b + c >> d", "(>> (<< a (+ b c)) d)"],
    ["a & b << c", "(& a (<< b c))"],
    ["a | b ^ c & d", "(| a (^ b (& c d)))"],
    ["a | b < c", "(cmp (| a b) < c)"],
    ["a < b <= c == d != e > f >= g", "(cmp a < b <= c == d != e > f >= g)"],
    ["a in b not in c is d is not e", "(cmp a in b not in c is d is not e)"],
    ["not a == b", "(not (cmp a == b))"],
    ["not not a", "(not (not a))"],
    ["a and b and c", "(and a b c)"],
    ["a or b or c", "(or a b c)"],
    ["a or b and c or d", "(or a (and b c) d)"],
    ["not a and b", "(and (not a) b)"],
    ["a if b else c", "(if b a c)"],
    ["a if b else c if d else e", "(if b a (if d c e))"],
    ["a or b if c and d else e", "(if (and c d) (or a b) e)"],
    ["lambda: 0", "(lambda () 0)"],
    ["lambda i, j: (j, i)", "(lambda (i j) (tuple j i))"],
    ["lambda x, y=1: x if y else lambda: 2", "(lambda (x y=1) (if y x (lambda () 2)))"],
    ["f(lambda x: x + 1, k=lambda: 0)", "(call f (lambda (x) (+ x 1)) k=(lambda () 0))"],
    ["-1", "(- 1)"],
    ["- 1.5", "(- 1.5)"],
    ["a.b.c(d)[e].f", "(call a.b.c d)[e].f"],
    ["f(a)(b)", "(call (call f a) b)"],
    ["x[1][2]", "x[1][2]"],
  ])("%s", (src, want) => {
    expect(sxOf(src)).toBe(want);
  });

  it("parses subscripts, slices and index tuples", () => {
    expect(sxOf("A[vi, 0:1024]")).toBe("A[(tuple vi 0:1024)]");
    expect(sxOf("A[()]")).toBe("A[(tuple)]");
    expect(sxOf("C[vo * 16:vo * 16 + 16]")).toBe("C[(* vo 16):(+ (* vo 16) 16)]");
    expect(sxOf("A[0:4]")).toBe("A[0:4]");
    expect(sxOf("A[:]")).toBe("A[:]");
    expect(sxOf("A[::2, 1:, :3]")).toBe("A[(tuple ::2 1: :3)]");
    expect(sxOf("A[1:2:3]")).toBe("A[1:2:3]");
    expect(sxOf("A[i,]")).toBe("A[(tuple i)]");
    expect(sxOf("A[i]")).toBe("A[i]");
    expect(sxOf("A[...]")).toBe("A[...]");
    const sub = expr("A[vi, 0:1024]");
    expect(sub).toMatchObject({ kind: "Subscript", index: { kind: "Tuple", parenthesized: false, elts: [{ kind: "Name" }, { kind: "Slice" }] } });
    expect(expr("A[:]")).toMatchObject({ index: { kind: "Slice", span: { col: 3, endCol: 4 } } });
    expect(Object.keys((expr("A[:]") as { index: object }).index).sort()).toEqual(["kind", "span"]);
  });

  it("parses calls with keywords, *args and **kwargs", () => {
    const c = expr("f(a, *b, c=1, **d)");
    if (c.kind !== "Call") throw new Error("not a call");
    expect(c.args.map((x) => x.kind)).toEqual(["Name", "Starred"]);
    expect(c.keywords.map((k) => [k.name, sx(k.value)])).toEqual([["c", "1"], [null, "d"]]);
    expect(sxOf("T.prim_func(private=True)")).toBe("(call T.prim_func private=True)");
    expect(sxOf("f(a,)")).toBe("(call f a)");
  });

  it("parses tuples, lists, dicts and sets", () => {
    expect(expr("()")).toMatchObject({ kind: "Tuple", elts: [], parenthesized: true });
    expect(expr("(1,)")).toMatchObject({ kind: "Tuple", parenthesized: true });
    expect(sxOf("(1, 2, *r)")).toBe("(tuple 1 2 *r)");
    expect(sxOf("((a))")).toBe("a");
    expect(sxOf("[1, [2, 3], *r]")).toBe("[1 [2 3] *r]");
    expect(sxOf("[]")).toBe("[]");
    expect(sxOf("{}")).toBe("{}");
    expect(sxOf('{"a": 1, **d, 2: lambda: 3}')).toBe('{"a": 1, **: d, 2: (lambda () 3)}');
    expect(sxOf("{1, 2, *s}")).toBe("(set 1 2 *s)");
    expect(sxOf("{lambda x: x}")).toBe("(set (lambda (x) x))");
    expect(sxOf("[\n  1,\n  2,\n]")).toBe("[1 2]");
  });

  it("represents literals", () => {
    expect(expr("True")).toMatchObject({ kind: "Constant", value: true, valueKind: "bool", raw: "True" });
    expect(expr("False")).toMatchObject({ value: false, valueKind: "bool" });
    expect(expr("None")).toMatchObject({ value: null, valueKind: "none" });
    expect(expr("...")).toMatchObject({ value: null, valueKind: "ellipsis" });
    expect(expr("-5")).toMatchObject({ kind: "UnaryOp", op: "-", operand: { kind: "Constant", value: 5 } });
  });
});

describe("statements", () => {
  it("parses assignments", () => {
    const a = stmt("a, b = c, d", "Assign");
    expect(a.targets.map(sx)).toEqual(["(tuple a b)"]);
    expect(sx(a.value)).toBe("(tuple c d)");
    const chain = stmt("a = b = c", "Assign");
    expect(chain.targets.map(sx)).toEqual(["a", "b"]);
    expect(sx(chain.value)).toBe("c");
    expect(stmt("x = 1,", "Assign").value).toMatchObject({ kind: "Tuple", elts: [{ value: 1 }] });
    expect(sx(stmt("(a, b), [c, *d] = e", "Assign").targets[0])).toBe("(tuple (tuple a b) [c *d])");
    expect(sx(stmt("A[i, j].x = 1", "Assign").targets[0])).toBe("A[(tuple i j)].x");
    expect(sx(stmt("vi, vj = T.axis.remap(\"SS\", [i, j])", "Assign").value)).toBe('(call T.axis.remap "SS" [i j])');
  });

  it("parses annotated and augmented assignments", () => {
    const bare = stmt("x: T.int32", "AnnAssign");
    expect([sx(bare.target), sx(bare.annotation), bare.value]).toEqual(["x", "T.int32", undefined]);
    const full = stmt("x: T.float32 = 1.0", "AnnAssign");
    expect(sx(full.value)).toBe("1.0");
    for (const op of ["+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^"]) {
      const aug = stmt(`A[i] ${op}= x`, "AugAssign");
      expect([sx(aug.target), aug.op, sx(aug.value)]).toEqual(["A[i]", op, "x"]);
    }
  });

  it("parses simple statements", () => {
    expect(stmt("pass", "Pass").span).toEqual({ line: 1, col: 1, endLine: 1, endCol: 5 });
    expect(stmt("assert x", "Assert").msg).toBeUndefined();
    const as = stmt('assert x > 0, "msg"', "Assert");
    expect([sx(as.test), sx(as.msg)]).toEqual(["(cmp x > 0)", '"msg"']);
    const loop = stmt("while True:\n    break\n    continue\n", "While");
    expect(loop.body.map((s) => s.kind)).toEqual(["Break", "Continue"]);
    const fn = stmt("def f():\n    return\n", "FunctionDef");
    expect(fn.body[0]).toEqual({ kind: "Return", span: { line: 2, col: 5, endLine: 2, endCol: 11 } });
    const fn2 = stmt("def f():\n    return a, b\n", "FunctionDef");
    expect(fn2.body[0]!.kind === "Return" && sx(fn2.body[0]!.value)).toBe("(tuple a b)");
    expect(stmt("T.evaluate(0)", "ExprStmt").value).toMatchObject({ kind: "Call" });
  });

  it("splits simple statements on ';' and allows bodies on the header line", () => {
    const m = parsePython("x = 1; y = 2;\nz = 3\n");
    expect(m.body.map((s) => s.kind)).toEqual(["Assign", "Assign", "Assign"]);
    const i = stmt("if x: pass; y = 1", "If");
    expect(i.body.map((s) => s.kind)).toEqual(["Pass", "Assign"]);
    const f = stmt("for i in range(3): T.evaluate(i)", "For");
    expect(f.body).toHaveLength(1);
  });

  it("parses if / elif / else chains", () => {
    const s = stmt("if a:\n    x = 1\nelif b:\n    x = 2\nelse:\n    x = 3\n", "If");
    expect(sx(s.test)).toBe("a");
    expect(s.orelse).toHaveLength(1);
    const elif = s.orelse[0]!;
    if (elif.kind !== "If") throw new Error("elif should nest an If");
    expect(sx(elif.test)).toBe("b");
    expect(elif.orelse.map((x) => x.kind)).toEqual(["Assign"]);
    expect(s.span).toEqual({ line: 1, col: 1, endLine: 6, endCol: 10 });
    expect(elif.span).toEqual({ line: 3, col: 1, endLine: 6, endCol: 10 });
  });

  it("parses for loops with tuple targets and else clauses", () => {
    const f = stmt("for i, j in T.grid(1, 2):\n    pass\nelse:\n    pass\n", "For");
    expect(sx(f.target)).toBe("(tuple i j)");
    expect(f.orelse).toHaveLength(1);
    expect(sx(stmt("for x in a, b: pass", "For").iter)).toBe("(tuple a b)");
  });

  it("parses with statements", () => {
    const w = stmt('with T.block("C") as b, T.init():\n    pass\n', "With");
    expect(w.items.map((i) => [sx(i.context), sx(i.target)])).toEqual([['(call T.block "C")', "b"], ["(call T.init)", ""]]);
    expect(w.items[0]!.span).toEqual({ line: 1, col: 6, endLine: 1, endCol: 23 });
    expect(sx(stmt("with f() as (a, b): pass", "With").items[0]!.target)).toBe("(tuple a b)");
  });

  it("parses function definitions", () => {
    const f = stmt("def f(a: T.handle, n: T.int32, *, x=1) -> None:\n    pass\n", "FunctionDef");
    expect(f.args.map((a) => [a.name, a.kind, sx(a.annotation), sx(a.default)])).toEqual([
      ["a", "normal", "T.handle", ""],
      ["n", "normal", "T.int32", ""],
      ["x", "kwonly", "", "1"],
    ]);
    expect(sx(f.returns)).toBe("None");
    expect(f.args[0]!.span).toEqual({ line: 1, col: 7, endLine: 1, endCol: 18 });
    const g = stmt("def g(a, /, b=2, *args, c, d=4, **kw): pass", "FunctionDef");
    expect(g.args.map((a) => `${a.kind}:${a.name}`)).toEqual(["posonly:a", "normal:b", "vararg:args", "kwonly:c", "kwonly:d", "kwarg:kw"]);
    const h = stmt("def h(\n    a,\n    b,\n):\n    pass\n", "FunctionDef");
    expect(h.args.map((a) => a.name)).toEqual(["a", "b"]);
  });

  it("parses decorators", () => {
    const m = parsePython("@T.prim_func(private=True)\n@R.function\ndef f():\n    pass\n");
    const f = m.body[0]!;
    if (f.kind !== "FunctionDef") throw new Error("expected FunctionDef");
    expect(f.decorators.map(sx)).toEqual(["(call T.prim_func private=True)", "R.function"]);
    expect(f.decorators[0]!.span).toEqual({ line: 1, col: 2, endLine: 1, endCol: 27 });
    expect(f.span.line).toBe(3);
  });

  it("parses class definitions", () => {
    const c = stmt("class A(B, metaclass=M):\n    x = 1\n", "ClassDef");
    expect(c.bases.map(sx)).toEqual(["B"]);
    expect(c.keywords.map((k) => k.name)).toEqual(["metaclass"]);
    expect(stmt("class A(): pass", "ClassDef").bases).toEqual([]);
  });

  it("parses imports", () => {
    const i = stmt("import tvm.script as ts, numpy", "Import");
    expect(i.names.map((a) => [a.name, a.asname])).toEqual([["tvm.script", "ts"], ["numpy", undefined]]);
    const f = stmt("from tvm.script import tir as T, relax as R", "ImportFrom");
    expect([f.module, f.level, f.names.map((a) => `${a.name}->${a.asname}`)]).toEqual(["tvm.script", 0, ["tir->T", "relax->R"]]);
    expect(stmt("from .. import (a, b,)", "ImportFrom")).toMatchObject({ module: null, level: 2 });
    expect(stmt("from x import *", "ImportFrom").names[0]!.name).toBe("*");
  });

  it("handles nested blocks with dedents of several levels", () => {
    const m = parsePython("if a:\n  if b:\n      if c:\n        x = 1\ny = 2\n");
    expect(m.body.map((s) => s.kind)).toEqual(["If", "Assign"]);
    expect(m.body[0]!.span).toEqual({ line: 1, col: 1, endLine: 4, endCol: 14 });
  });
});

describe("spans", () => {
  it("follow Python's ast conventions", () => {
    const e = expr("(a + b) * c");
    expect(e.span).toEqual({ line: 1, col: 1, endLine: 1, endCol: 12 });
    if (e.kind !== "BinOp") throw new Error("expected BinOp");
    // A parenthesized non-tuple expression does not include its parentheses...
    expect(e.left.span).toEqual({ line: 1, col: 2, endLine: 1, endCol: 7 });
    // ...but a parenthesized tuple does.
    expect(expr("(1, 2)").span).toEqual({ line: 1, col: 1, endLine: 1, endCol: 7 });
    expect(expr("f(x,\n  y)").span).toEqual({ line: 1, col: 1, endLine: 2, endCol: 5 });
    const a = stmt("  \n\nvalue = T.float32(0.0)  # c\n", "Assign");
    expect(a.span).toEqual({ line: 3, col: 1, endLine: 3, endCol: 23 });
    expect(a.targets[0]!.span).toEqual({ line: 3, col: 1, endLine: 3, endCol: 6 });
    expect(a.value.span).toEqual({ line: 3, col: 9, endLine: 3, endCol: 23 });
  });
});

describe("syntax errors", () => {
  it("formats file:line:col, the source line and a caret", () => {
    const e = syntaxError("for i in range(3)\n    pass\n", "k.py");
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("ScriptError");
    expect([e.file, e.line, e.col]).toEqual(["k.py", 1, 18]);
    expect(e.detail).toBe("expected ':' after 'for' header");
    expect(e.message).toBe("k.py:1:18: expected ':' after 'for' header\nfor i in range(3)\n                 ^");
  });

  it.each([
    ["x = 1\n    y = 2\n", 2, 5, "unexpected indent"],
    ["  x = 1\n", 1, 3, "unexpected indent"],
    ["if x:\npass\n", 2, 1, "expected an indented block after 'if' statement on line 1"],
    ["def f():\n\nx = 1\n", 3, 1, "expected an indented block after function definition on line 1"],
    ["if x:\n    pass\n  y = 1\n", 3, 3, "unindent does not match any outer indentation level"],
    ["x = 'abc\n", 1, 5, "unterminated string literal"],
    ['x = """abc\n\n', 1, 5, "unterminated triple-quoted string literal"],
    ["x = 1)\n", 1, 6, "unmatched ')'"],
    ["x = (1,\n  2\n", 1, 5, "'(' was never closed"],
    ["x = [1, 2)\n", 1, 10, "closing parenthesis ')' does not match opening parenthesis '['"],
    ["x = 1 +\n", 1, 8, "expected an expression, found end of line"],
    ["x $ y\n", 1, 3, "invalid character '$' (U+0024)"],
    ["x = 0123\n", 1, 5, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers"],
    ["x = 12abc\n", 1, 7, "invalid decimal literal"],
    ["x = 1__0\n", 1, 6, "invalid decimal literal"],
    ["x = 0x\n", 1, 7, "invalid hexadecimal literal"],
    ["x = 1 \\ 2\n", 1, 8, "unexpected character after line continuation character"],
    ["f(a=1, 2)\n", 1, 8, "positional argument follows keyword argument"],
    ["f(a=1, a=2)\n", 1, 8, "keyword argument repeated: a"],
    ["f(x.y=1)\n", 1, 6, "invalid keyword argument: expected a name before '=' (did you mean '=='?)"],
    ["def f(a=1, b): pass\n", 1, 12, "parameter without a default follows parameter with a default"],
    ["def f(a, a): pass\n", 1, 10, "duplicate parameter 'a'"],
    ["def f(*): pass\n", 1, 7, "named parameters must follow bare '*'"],
    ["def f()\n    pass\n", 1, 8, "expected ':' after function signature"],
    ["if x\n    pass\n", 1, 5, "expected ':' after 'if' condition"],
    ["with a as b\n    pass\n", 1, 12, "expected ':' after 'with' items"],
    ["for i range(3):\n    pass\n", 1, 7, "expected 'in' after 'for' target, found name 'range'"],
    ["f() = 1\n", 1, 1, "cannot assign to function call"],
    ["1 = x\n", 1, 1, "cannot assign to literal"],
    ["a + b = c\n", 1, 1, "cannot assign to expression"],
    ["for f() in x: pass\n", 1, 5, "cannot assign to function call"],
    ["a, b += 1\n", 1, 1, "tuple is an illegal target for augmented assignment"],
    ["a, b: int\n", 1, 1, "only a single target (not a tuple) can be annotated"],
    ["x = a if b\n", 1, 11, "expected 'else' in conditional expression, found end of line"],
    ["@dec\nx = 1\n", 2, 1, "expected 'def' or 'class' after decorator, found name 'x'"],
    ["else:\n    pass\n", 1, 1, "'else' without a matching 'if'"],
    ["if x: for i in y: pass\n", 1, 7, "'for' statement must start on its own line"],
    ["x = a not b\n", 1, 7, "invalid syntax: unexpected keyword 'not' after statement"],
    ["x = f'{a}'\n", 1, 5, "f-strings are not supported in TVMScript"],
    ["x = b'a'\n", 1, 5, "bytes literals are not supported in TVMScript"],
    ["x = 1j\n", 1, 5, "complex literals are not supported in TVMScript"],
    ["x = [i for i in y]\n", 1, 8, "comprehensions and generator expressions are not supported in TVMScript"],
    ["try:\n    pass\n", 1, 1, "'try' is not supported in TVMScript"],
    ["x = a.\n", 1, 7, "expected attribute name after '.', found end of line"],
    ["x = A[1:2:3:4]\n", 1, 12, "expected ',' or ']' in subscript, found ':'"],
    ['x = "\\xZZ"\n', 1, 6, "truncated \\xXX escape"],
  ])("%j", (src, line, col, msg) => {
    const e = syntaxError(src);
    expect({ detail: e.detail, line: e.line, col: e.col }).toEqual({ detail: msg, line, col });
    const srcLine = src.split("\n")[line - 1]!;
    expect(e.message).toBe(`t.py:${line}:${col}: ${msg}\n${srcLine}\n${" ".repeat(col - 1)}^`);
  });

  it("reports the first error in source order", () => {
    // The tokenizer runs on demand, so a later lexical error does not mask an earlier syntax error.
    const e = syntaxError("x = = 1\ny = 'unterminated\n");
    expect([e.line, e.col, e.detail]).toEqual([1, 5, "expected an expression, found '='"]);
  });

  it("aligns the caret under tabs", () => {
    const e = syntaxError("if x:\n\ty = (\n");
    expect(e.message).toBe("t.py:2:6: '(' was never closed\n\ty = (\n\t    ^");
  });

  it("reports errors in nested blocks at the right place", () => {
    const src = EXAMPLE_2.replace("for i in range(n):", "for i in range(n)");
    const e = syntaxError(src);
    expect([e.line, e.col, e.detail]).toEqual([8, 26, "expected ':' after 'for' header"]);
    expect(e.sourceLine).toBe("        for i in range(n)");
  });

  it("never throws anything but ScriptError on mangled input", () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = [" ", "\n", "(", ")", ":", "\t", "    ", ",", "#", "'", '"', "\\", "=", "*", "[", "]", "{", "}", "@", "lambda", "1e", "0x", ".", "\r", "not", "if", "\u00e9", "\u{1F600}"];
    let errors = 0;
    for (let iter = 0; iter < 2000; iter++) {
      let src = iter % 2 === 0 ? EXAMPLE_1 : EXAMPLE_2;
      for (let k = rand(4) + 1; k > 0; k--) {
        const at = rand(src.length + 1);
        src = rand(3) === 0 ? src.slice(0, at) + src.slice(at + 1 + rand(3)) : src.slice(0, at) + pieces[rand(pieces.length)] + src.slice(at);
      }
      try {
        parsePython(src);
      } catch (e) {
        if (!(e instanceof ScriptError)) throw new Error(`raw exception ${String(e)} for ${JSON.stringify(src)}`);
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.col).toBeGreaterThanOrEqual(1);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
  });

  it("turns absurdly deep nesting into a ScriptError", () => {
    const deep = "x = " + "(".repeat(50000) + "1" + ")".repeat(50000) + "\n";
    let err: unknown;
    try {
      parsePython(deep);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScriptError);
    expect((err as ScriptError).detail).toBe("expression is too deeply nested");
    expect(sxOf("(".repeat(100) + "1" + ")".repeat(100))).toBe("1");
  });
});

describe("scriptError helper", () => {
  it("builds located errors from any span for later stages", () => {
    const source = "x = 1\ny = undefined_name + 2\n";
    const m = parsePython(source, "s.py");
    const assign = m.body[1]!;
    if (assign.kind !== "Assign" || assign.value.kind !== "BinOp") throw new Error("unexpected shape");
    const err = scriptError("unknown name 'undefined_name'", assign.value.left.span, m.source, m.file);
    expect(err).toBeInstanceOf(ScriptError);
    expect([err.file, err.line, err.col, err.endLine, err.endCol]).toEqual(["s.py", 2, 5, 2, 19]);
    expect(err.message).toBe("s.py:2:5: unknown name 'undefined_name'\ny = undefined_name + 2\n    ^");
    const bare = scriptError("oops", { line: 9, col: 3 }, source);
    expect(bare.message).toBe("<string>:9:3: oops\n\n  ^");
  });
});
