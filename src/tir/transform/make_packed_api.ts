/**
 * MakePackedAPI: the last step of lowering; makes a lowered PrimFunc callable through weft's
 * runtime (a `PackedFunc` of src/runtime/module.ts) and says so in its attributes.
 *
 * What TVM's MakePackedAPI does, and where each part lives in weft:
 * - TVM rewrites the signature to `(args, type_codes, num_args, ...)` and unpacks DLTensors.
 *   weft's runtime passes typed arrays and numbers instead; the function keeps its parameters
 *   and `buffer_map`, which the code generators read (src/target/js, src/target/c).
 * - TVM emits, inside the function, checks of each argument's type code, dtype, ndim, shape,
 *   strides and alignment. In weft these are done before every call, outside the kernel, by
 *   the runtime's `ArgChecker` against the signature built from `buffer_map`
 *   (src/target/signature.ts): argument count, array-ness, dtype, rank, every dimension
 *   (constants, shape variables bound by the first argument that shows them and compared on
 *   the others, and expressions of them), declared or compact strides, storage class, data
 *   length; scalar dtype and range. Alignment is not assumed by any codegen (the C target
 *   loads vectors with memcpy), so it is not checked.
 * - TVM binds symbolic shape variables at function entry from the DLTensor shapes. weft keeps
 *   its convention: `ArgChecker` binds them, and the codegens receive them as hidden
 *   arguments (`symbolOf` of src/target/signature.ts: the js kernel's `syms`, extra int
 *   parameters of the C function); `elem_offset` variables of buffer parameters are 0 (arrays
 *   are passed from their first element). Binding them here with LetStmts of a
 *   `weft_arg_shape(A, dim)` intrinsic would need the C function to receive shapes it does
 *   not receive today, so it is not done.
 *
 * What this pass does:
 * 1. Records the convention in the function attributes: `calling_conv` = 1 (TVM's
 *    kCPackedFunc: called through the runtime's packed-function interface, never directly by
 *    other generated code) and `weft.arg_kinds`, the kind of every parameter in order
 *    ("buffer" for a parameter in `buffer_map`, "scalar" otherwise).
 * 2. Asserts, at function entry, the invariants the signature implies but `ArgChecker` cannot
 *    check. There is one: a scalar parameter declared as a `SizeVar` (`T.int32(is_size_var)`,
 *    a size the simplifier may assume non-negative) gets `assert n >= 0`. Relations between
 *    symbolic dimensions need nothing here: every dimension that is not a plain variable is an
 *    expression `ArgChecker` evaluates and compares, and a shape variable that is also a scalar
 *    parameter is compared with that scalar. Shape variables cannot be negative.
 * 3. Checks its preconditions (as TVM's "variables not passed as API args"): no blocks are
 *    left, and every variable the body reads is defined by a parameter, by a buffer
 *    parameter's shape / strides / elem_offset, or by a binding above it (loop, LetStmt, Let,
 *    Allocate, thread AttrStmt).
 *
 * A function that already has `calling_conv` is left unchanged, so running the pass twice is
 * harmless.
 */
import type { Buffer } from "../../ir/buffer.js";
import { IntImm, StringImm, type BufferLoad, type Let, type PrimExpr, type Var } from "../../ir/expr.js";
import { collectVars } from "../../ir/expr_functor.js";
import { ge } from "../../ir/expr_ops.js";
import type { PrimFunc } from "../function.js";
import {
  AssertStmt, IterVar, type Allocate, type AttrStmt, type Block, type BufferStore, type DeclBuffer, type For,
  type LetStmt, type Stmt,
} from "../stmt.js";
import { StmtExprVisitor } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

/** TVM's CallingConv::kCPackedFunc. */
export const PACKED_CALLING_CONV = 1;

export type ArgKind = "buffer" | "scalar";

/** The `weft.arg_kinds` of a function: "buffer" or "scalar" for every parameter, in order. */
export function argKinds(func: PrimFunc): ArgKind[] {
  return func.params.map((p) => (func.bufferMap.has(p) ? "buffer" : "scalar"));
}

/** Finds the first variable read before anything defines it (and any block left). */
class UndefinedVars extends StmtExprVisitor {
  readonly defined = new Set<Var>();
  undefinedVar: Var | undefined;
  block: string | undefined;

  private checkBuffer(b: Buffer): void {
    this.visitVar(b.data);
    this.visitExpr(b.elemOffset);
    for (const s of b.strides) this.visitExpr(s);
  }

  override visitStmt(s: Stmt): void {
    switch (s.kind) {
      case "LetStmt": {
        const l = s as LetStmt;
        this.visitExpr(l.value);
        this.defined.add(l.variable);
        return this.visitStmt(l.body);
      }
      case "Allocate": {
        const a = s as Allocate;
        this.defined.add(a.bufferVar);
        return super.visitStmt(s);
      }
      case "AttrStmt": {
        const a = s as AttrStmt;
        if (a.node instanceof IterVar) this.defined.add(a.node.variable);
        return super.visitStmt(s);
      }
      case "DeclBuffer":
        this.checkBuffer((s as DeclBuffer).buffer);
        return super.visitStmt(s);
      default:
        return super.visitStmt(s);
    }
  }

  override visitFor(f: For): void {
    this.visitExpr(f.min);
    this.visitExpr(f.extent);
    if (f.step) this.visitExpr(f.step);
    this.defined.add(f.loopVar);
    this.visitStmt(f.body);
  }

  override visitBlock(b: Block): void {
    this.block ??= b.nameHint;
  }

  override visitExpr(e: PrimExpr): void {
    if (e.kind === "Let") this.defined.add((e as Let).variable);
    super.visitExpr(e);
  }

  override visitVar(v: Var): void {
    if (!this.defined.has(v)) this.undefinedVar ??= v;
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.checkBuffer(e.buffer);
    super.visitBufferLoad(e);
  }

  override visitBufferStore(s: BufferStore): void {
    this.checkBuffer(s.buffer);
    super.visitBufferStore(s);
  }
}

function checkPreconditions(func: PrimFunc): void {
  const v = new UndefinedVars();
  for (const p of func.params) {
    v.defined.add(p);
    const b = func.bufferMap.get(p);
    if (!b) continue;
    v.defined.add(b.data);
    for (const e of [...b.shape, ...b.strides, b.elemOffset]) for (const x of collectVars(e)) v.defined.add(x);
  }
  v.visitStmt(func.body);
  if (v.block !== undefined) {
    throw new Error(`block "${v.block}" is still present; expected lowered code (run the lowering passes first)`);
  }
  if (v.undefinedVar) {
    const params = func.params.map((p) => p.name).join(", ");
    throw new Error(
      `variable ${v.undefinedVar.name} is used but not defined: it is neither a parameter (${params}), nor a shape, stride or elem_offset variable of a buffer parameter, nor bound in the body`,
    );
  }
}

/** Adds the packed-API attributes and the entry asserts; see the file header. */
export function makePackedAPIFunc(func: PrimFunc): PrimFunc {
  if (func.attrs["calling_conv"] !== undefined) return func;
  checkPreconditions(func);
  let body = func.body;
  for (let i = func.params.length - 1; i >= 0; i--) {
    const p = func.params[i]!;
    if (func.bufferMap.has(p) || p.kind !== "SizeVar") continue;
    const cond = ge(p, new IntImm(p.dtype, 0));
    body = new AssertStmt(cond, new StringImm(`argument ${p.name}: expected a non-negative size`), body);
  }
  return func.with({
    body,
    attrs: { ...func.attrs, calling_conv: PACKED_CALLING_CONV, "weft.arg_kinds": argKinds(func) },
  });
}

/** Makes every PrimFunc of the module a packed function of weft's runtime. */
export const MakePackedAPI: Pass = primFuncPass("MakePackedAPI", (func) => makePackedAPIFunc(func));
