import { describe, expect, it } from "vitest";
import { Var } from "../../src/ir/expr.js";
import { int32 } from "../../src/ir/dtype.js";
import { ScriptError } from "../../src/tir/script/python/errors.js";
import { parseExpr, parsePrimFunc, parseScript } from "../../src/tir/script/parser/index.js";

/** Parses `src` expecting a ScriptError; returns it. */
function fails(src: string, file = "k.py"): ScriptError {
  try {
    parseScript(src, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScriptError);
    return e as ScriptError;
  }
  throw new Error("expected a ScriptError");
}

/** A function over A (4x4 float32) and B (4 float32) with `lines` as its body (body starts on line 3). */
function inFunc(lines: string): string {
  const body = lines.trim().split("\n").map((l) => `    ${l}`).join("\n");
  return `@T.prim_func\ndef f(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4,), "float32"), n: T.int32):\n${body}\n`;
}

/** Asserts location and message, and that the message carries the source line and a caret under the column. */
function expectAt(e: ScriptError, line: number, col: number, detail: string | RegExp): void {
  expect([e.file, e.line, e.col]).toEqual(["k.py", line, col]);
  if (typeof detail === "string") expect(e.detail).toBe(detail);
  else expect(e.detail).toMatch(detail);
  const [head, src, caret] = e.message.split("\n");
  expect(head).toBe(`k.py:${line}:${col}: ${e.detail}`);
  expect(src).toBe(e.sourceLine);
  expect(caret).toBe(`${" ".repeat(col - 1)}^`);
  expect(e.message).not.toMatch(/\bat \w+ \(/); // no JS stack frames in the message
}

describe("errors name the problem at its source location", () => {
  it("undefined names, with a hint for a close one", () => {
    expectAt(fails(inFunc("B[0] = foo + 1")), 3, 12, "undefined name 'foo'");
    expectAt(fails(inFunc("B[0] = B[nn]")), 3, 14, "undefined name 'nn' (did you mean 'n'?)");
  });

  it("unknown T. functions, with a did-you-mean", () => {
    expectAt(fails(inFunc("B[0] = T.exq(B[1])")), 3, 12, "T.exq is not a TVMScript function (did you mean T.exp?)");
    expectAt(fails(inFunc("B[0] = T.foo_bar_baz(B[1])")), 3, 12, "T.foo_bar_baz is not a TVMScript function");
    expectAt(
      fails(inFunc('for i in range(4):\n    with T.block("b"):\n        vi = T.axis.spatail(4, i)')),
      5, 18, "T.axis.spatail is not a TVMScript function (did you mean T.axis.spatial?)",
    );
  });

  it("wrong arity and wrong keywords", () => {
    expectAt(fails(inFunc("B[0] = T.exp(B[1], B[2])")), 3, 12, "T.exp takes 1 argument(s), got 2");
    expectAt(fails(inFunc("C = T.alloc_buffer()")), 3, 9, "T.alloc_buffer() missing required argument 'shape'");
    expectAt(fails(inFunc('C = T.alloc_buffer((4,), scop="local")')), 3, 35,
      "T.alloc_buffer() got an unexpected keyword argument 'scop' (did you mean 'scope'?)");
    expectAt(fails(inFunc("B[0] = T.max(B[1], B[2], B[3])")), 3, 30, "T.max() takes at most 2 positional arguments but 3 were given");
  });

  it("type mismatches reported by the IR constructors and builders", () => {
    expectAt(fails(inFunc("B[0] = T.float16(1)")), 3, 12,
      'cannot store a float16 value into buffer B, whose elements are float32 (convert it, e.g. T.Cast("float32", ...))');
    expectAt(fails(inFunc("B[0] = T.Add(B[1], n)")), 3, 12, /^Add: operand dtypes differ: float32 vs int32/);
    expectAt(fails(inFunc("B[0] = T.exp(n)")), 3, 12, /expects float arguments, got int32/);
    expectAt(fails(inFunc("B[0] = T.int8(300)")), 3, 19, /value 300 does not fit in int8/);
    expectAt(fails(inFunc("if n:\n    B[0] = 1")), 3, 8, "if: the condition must be a bool expression, got a int32 expression");
    expectAt(fails(inFunc('x: T.float32 = n\nB[0] = x')), 3, 20, "value of x: expected a float32 value, got a int32 expression");
  });

  it("redefinition", () => {
    expectAt(fails(inFunc("C = T.alloc_buffer((4,))\nC = T.alloc_buffer((4,))")), 4, 5, "redefinition of 'C' (first defined on line 3)");
    expectAt(fails(inFunc("m = n + 1\nm = n + 2")), 4, 5, "redefinition of 'm' (first defined on line 3)");
    expectAt(fails(inFunc("for i, i in T.grid(2, 2):\n    B[i] = 0")), 3, 12, "redefinition of 'i' (first defined on line 3)");
  });

  it("buffer rank mismatch", () => {
    expectAt(fails(inFunc("A[0] = T.float32(1)")), 3, 5, "buffer A has 2 dimensions but is indexed with 1 index");
    expectAt(fails(inFunc("B[0] = A[0, 1, 2]")), 3, 12, "buffer A has 2 dimensions but is indexed with 3 indices");
  });

  it("T.axis.remap: kinds string length, unknown kinds, non-loop bindings", () => {
    const remap = (rhs: string) => inFunc(`for i, j in T.grid(4, 4):\n    with T.block("b"):\n        vi, vj = ${rhs}\n        A[vi, vj] = T.float32(0)`);
    expectAt(fails(remap('T.axis.remap("S", [i, j])')), 5, 35, 'T.axis.remap: the kinds "S" have 1 letter(s) but 2 binding(s) are given');
    expectAt(fails(remap('T.axis.remap("SX", [i, j])')), 5, 35, "T.axis.remap: unknown axis kind 'X' in \"SX\" (expected S for spatial or R for reduce)");
    expectAt(fails(remap('T.axis.remap("SS", [i, n])')), 5, 41, "T.axis.remap: n is not the variable of an enclosing loop");
    expectAt(fails(remap('T.axis.remap("SSR", [i, j, i])')), 5, 22, "T.axis.remap: 2 name(s) on the left but 3 axes on the right");
  });

  it("loops over unknown iterators and mismatched loop targets", () => {
    expectAt(fails(inFunc("for i in [1, 2]:\n    B[i] = 0")), 3, 14, /^a for loop must iterate over range\(\.\.\.\), T\.grid\(\.\.\.\)/);
    expectAt(fails(inFunc("for i in T.exp(B[0]):\n    B[0] = 0")), 3, 14, /^a for loop must iterate over .*got a float32 expression$/);
    expectAt(fails(inFunc("for i, j in T.grid(2, 2, 2):\n    B[0] = 0")), 3, 9, "the loop header makes 3 loop(s) but 2 loop variable(s) are given");
  });

  it("block header items out of place or repeated", () => {
    expectAt(fails(inFunc("T.reads(B[0])")), 3, 5, "T.reads must be used directly inside a `with T.block(...)` (not in a nested loop, if or with)");
    const twice = inFunc('with T.block("b"):\n    T.reads(B[0])\n    T.reads(B[1])\n    B[0] = 0');
    expectAt(fails(twice), 5, 9, 'block "b" already has T.reads');
    expectAt(fails(inFunc('with T.init():\n    B[0] = 0')), 3, 5, "`with T.init():` must be directly inside a `with T.block(...)`");
    expectAt(fails(inFunc("for i in range(4):\n    vi = T.axis.spatial(4, i)")), 4, 14, /^T\.axis\.spatial must be used directly inside/);
    const binding = inFunc('for i in range(4):\n    with T.block("b"):\n        vi = T.axis.spatial(4, T.int64(0) + T.int64(i))\n        B[vi] = 0');
    expectAt(fails(binding), 5, 36, /^T\.axis\.spatial: block var vi is int32 but its binding is a int64 expression/);
  });

  it("function-level problems", () => {
    expectAt(fails("def f(A: T.Buffer((4,), \"float32\")):\n    pass\n"), 1, 1, "function 'f' needs the @T.prim_func decorator");
    expectAt(fails("@T.prim_func\ndef f(a):\n    pass\n"), 2, 7, /^parameter 'a' needs a type annotation/);
    expectAt(fails("@T.prim_func\ndef f(a: T.handle, b: T.handle):\n    A = T.match_buffer(b, (4,))\n    B = T.match_buffer(b, (4,))\n"), 4, 24,
      "T.match_buffer: parameter b is already matched to buffer A");
    expectAt(fails('@T.prim_func\ndef f(A: T.Buffer((4,), "flaot32")):\n    pass\n'), 2, 25,
      'T.Buffer dtype: unknown dtype "flaot32" (expected e.g. "float32", "int64", "float16x4", "bool", "handle")');
    expectAt(fails("@R.function\ndef f(x):\n    return x\n"), 1, 2, "@R.function (Relax) is not supported by this parser yet");
    expectAt(fails("x = foo()\n"), 1, 5, "undefined name 'foo'");
    expectAt(fails("print(1)\n"), 1, 1, /^unexpected statement at the top level/);
  });

  it("assignment forms TIR does not have", () => {
    expectAt(fails(inFunc("m = k = n")), 3, 5, "chained assignment (a = b = c) is not supported in TVMScript");
    expectAt(fails(inFunc("m = n\nm += 1")), 4, 5, /^augmented assignment \(\+=, \.\.\.\) works on buffer elements only/);
    expectAt(fails(inFunc("B[0] = 123456789012345678901234567890")), 3, 12, /^the integer 123456789012345678901234567890 is too large/);
    expectAt(fails(inFunc("B[0] = B[0] @ B[1]")), 3, 12, "the @ operator is not supported in TVMScript");
    expectAt(fails(inFunc("break")), 3, 5, "'break' is not supported in TIR");
  });

  it("syntax errors come from the Python parser with the same format", () => {
    expectAt(fails('@T.prim_func\ndef f(A: T.Buffer((4,), "float32"):\n    pass\n'), 2, 35, "expected ',' or ')' in parameter list, found ':'");
  });

  it("parsePrimFunc wants exactly one function; parseExpr one expression", () => {
    const two = '@T.prim_func\ndef f():\n    pass\n\n@T.prim_func\ndef g():\n    pass\n';
    expect(() => parsePrimFunc(two, "two.py")).toThrow("two.py:1:1: expected exactly one @T.prim_func, found 2 (f, g)");
    expect(() => parsePrimFunc("", "none.py")).toThrow("none.py:1:1: expected one @T.prim_func, found none");
    expect(() => parseExpr("x +", { x: new Var("x", int32) })).toThrow(ScriptError);
    expect(() => parseExpr("x = 1")).toThrow("<expr>:1:1: expected a single expression");
    expect(() => parseExpr("y + 1", { x: new Var("x", int32) })).toThrow("<expr>:1:1: undefined name 'y' (did you mean 'x'?)");
  });
});
