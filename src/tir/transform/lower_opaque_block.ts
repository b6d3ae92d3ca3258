/**
 * LowerOpaqueBlock (TVM's `tir.transform.LowerOpaqueBlock`): removes the opaque blocks that
 * ConvertBlocksToOpaque left, turning what they carried into plain statements.
 *
 * For every `BlockRealize` (the root block included):
 * - the realize predicate becomes an `if` around the block body (left out when it is `True`);
 * - block annotations whose key starts with `pragma_` become `T.attr(0, key, value)` around the
 *   body (sorted by key); the other block annotations are dropped;
 * - each `alloc_buffer` becomes `Allocate` + `DeclBuffer` (printed `T.decl_buffer(...)`),
 *   outermost for the first buffer. A buffer with strides allocates
 *   `[shape[0], strides[0] / strides[1], ...]`; a `buffer_dim_align` annotation that
 *   storage_align left on a block writing the buffer moves onto its Allocate, with every
 *   buffer index set to -1, as TVM does.
 *
 * For every loop:
 * - `thread_binding` loops become `T.launch_thread` scopes: an AttrStmt "thread_extent"
 *   ("virtual_thread" for vthread tags) over an IterVar of kind ThreadIndex;
 * - a loop of extent 1 without annotations disappears; its variable is replaced by its min;
 * - loop annotations whose key starts with `pragma_` become `T.attr(loop_var, key, value)`
 *   around the loop (sorted by key); the other loop annotations stay on the loop.
 *
 * Preconditions (a PassError names the function and the block otherwise): blocks are opaque
 * (no iter vars: run ConvertBlocksToOpaque), have no `T.init()` (run LowerInitBlock) and no
 * match_buffers (run LowerMatchBuffer). Linear in the size of the function; copy-on-write.
 */
import type { Buffer } from "../../ir/buffer.js";
import { bool, float64, int32 } from "../../ir/dtype.js";
import { FloatImm, IntImm, PrimExpr, Range, StringImm, Var } from "../../ir/expr.js";
import { truncdiv } from "../../ir/expr_ops.js";
import type { PrimFunc } from "../function.js";
import {
  Allocate, Block, BlockRealize, DeclBuffer, IfThenElse, IterVar, AttrStmt, TRUE, type AttrValue, type Annotations,
  type For, type Stmt,
} from "../stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../stmt_functor.js";
import { PassError, primFuncPass, type Pass } from "./pass.js";

const PASS = "LowerOpaqueBlock";

export const LowerOpaqueBlock: Pass = primFuncPass(PASS, (func, name) => lowerOpaqueBlock(func, name));

/** Lowers the opaque blocks of one PrimFunc (the function behind the `LowerOpaqueBlock` pass). */
export function lowerOpaqueBlock(func: PrimFunc, funcName = "main"): PrimFunc {
  const aligns = collectStorageAlign(func.body, funcName);
  return func.withBody(new OpaqueBlockLowerer(funcName, aligns).visitStmt(func.body));
}

type AlignTuple = readonly [number, number, number, number];

/** `buffer_dim_align` block annotations, keyed by the data var of the written buffer they name. */
function collectStorageAlign(body: Stmt, funcName: string): Map<Var, AlignTuple[]> {
  const out = new Map<Var, AlignTuple[]>();
  new (class extends StmtExprVisitor {
    override visitBlock(b: Block): void {
      const ann = b.annotations["buffer_dim_align"];
      if (ann !== undefined) {
        if (!Array.isArray(ann)) fail(funcName, b, `its "buffer_dim_align" annotation to be a list of [buffer_index, axis, factor, offset]`);
        for (const t of ann as readonly AttrValue[]) {
          const tuple = Array.isArray(t) ? (t as readonly AttrValue[]).map(asInt) : [];
          if (tuple.length !== 4 || tuple.some((x) => x === undefined)) {
            fail(funcName, b, `every "buffer_dim_align" entry to be 4 integers [buffer_index, axis, factor, offset]`);
          }
          const [index, axis, factor, offset] = tuple as number[];
          const written = b.writes[index!];
          if (!written) fail(funcName, b, `"buffer_dim_align" buffer index ${index} to name one of its ${b.writes.length} written buffers`);
          const list = out.get(written.buffer.data) ?? [];
          list.push([-1, axis!, factor!, offset!]);
          out.set(written.buffer.data, list);
        }
      }
      super.visitBlock(b);
    }
    override visitExpr(): void {}
  })().visitStmt(body);
  return out;
}

function asInt(v: AttrValue): number | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (v instanceof IntImm) return v.value;
  return undefined;
}

function fail(funcName: string, b: Block, expected: string): never {
  throw new PassError(PASS, funcName, `block "${b.nameHint}": expected ${expected}`);
}

function isPragmaKey(key: string): boolean {
  return key.startsWith("pragma_");
}

/** An annotation value as the PrimExpr an AttrStmt holds. */
function attrValueExpr(v: AttrValue, where: () => string): PrimExpr {
  if (v instanceof PrimExpr) return v;
  if (typeof v === "string") return new StringImm(v);
  if (typeof v === "boolean") return new IntImm(bool, v ? 1 : 0);
  if (typeof v === "number") return Number.isInteger(v) ? new IntImm(int32, v) : new FloatImm(float64, v);
  throw new Error(`${where()}: a pragma annotation value must be an expression, a number or a string`);
}

/** Splits annotations into sorted pragma attrs and (for loops) the annotations to keep. */
function splitAnnotations(ann: Annotations, where: () => string): { pragmas: [string, PrimExpr][]; kept: Annotations; changed: boolean } {
  const pragmas: [string, PrimExpr][] = [];
  const kept: Record<string, AttrValue> = {};
  for (const key of Object.keys(ann)) {
    if (isPragmaKey(key)) pragmas.push([key, attrValueExpr(ann[key]!, where)]);
    else kept[key] = ann[key]!;
  }
  pragmas.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { pragmas, kept: pragmas.length === 0 ? ann : kept, changed: pragmas.length > 0 };
}

function isOne(e: PrimExpr): boolean {
  return e instanceof IntImm && e.value === 1;
}

const VTHREAD_TAGS = new Set(["vthread", "vthread.x", "vthread.y", "vthread.z"]);

class OpaqueBlockLowerer extends StmtExprMutator {
  /** Variables of removed unit loops -> their min. */
  private readonly unitLoopVars = new Map<Var, PrimExpr>();

  constructor(
    private readonly funcName: string,
    private readonly aligns: ReadonlyMap<Var, AlignTuple[]>,
  ) {
    super();
  }

  override visitVar(v: Var): PrimExpr {
    return this.unitLoopVars.get(v) ?? v;
  }

  override visitBlockRealize(r: BlockRealize): Stmt {
    const b = r.block;
    if (r.iterValues.length > 0 || b.iterVars.length > 0) {
      fail(this.funcName, b, "an opaque block (no block iter vars); run ConvertBlocksToOpaque first");
    }
    if (b.init) fail(this.funcName, b, "no T.init() statement; run LowerInitBlock first");
    if (b.matchBuffers.length > 0) fail(this.funcName, b, "no match_buffer; run LowerMatchBuffer first");
    const predicate = this.visitExpr(r.predicate);
    let body = this.visitStmt(b.body);
    if (!isOne(predicate)) body = new IfThenElse(predicate, body);
    const { pragmas } = splitAnnotations(b.annotations, () => `block "${b.nameHint}"`);
    for (let k = pragmas.length - 1; k >= 0; k--) {
      const [key, value] = pragmas[k]!;
      body = new AttrStmt(new IntImm(int32, 0), key, value, body);
    }
    for (let k = b.allocBuffers.length - 1; k >= 0; k--) {
      const buf = b.allocBuffers[k]!;
      const aligns = this.aligns.get(buf.data);
      const annotations: Annotations = aligns ? { buffer_dim_align: aligns.map((t) => [...t]) } : {};
      body = new Allocate(buf.data, buf.dtype, allocationShape(buf), TRUE, new DeclBuffer(buf, body), annotations);
    }
    return body;
  }

  override visitBlock(b: Block): Stmt {
    // Only reached for a Block outside a BlockRealize, which well-formed IR never has.
    fail(this.funcName, b, "to be realized by a BlockRealize");
  }

  override visitFor(f: For): Stmt {
    const min = this.visitExpr(f.min), extent = this.visitExpr(f.extent);
    const step = f.step ? this.visitExpr(f.step) : undefined;
    const annotated = Object.keys(f.annotations).length > 0;
    const unit = isOne(extent) && !annotated;
    if (unit) this.unitLoopVars.set(f.loopVar, min);
    const body = this.visitStmt(f.body);
    if (unit) this.unitLoopVars.delete(f.loopVar);
    const { pragmas, kept } = splitAnnotations(f.annotations, () => `loop ${f.loopVar.name}`);
    let out: Stmt;
    if (f.forKind === "thread_binding") {
      const tag = f.threadTag!;
      const iv = new IterVar(new Range(min, extent), f.loopVar, "ThreadIndex", tag);
      out = new AttrStmt(iv, VTHREAD_TAGS.has(tag) ? "virtual_thread" : "thread_extent", extent, body);
    } else if (unit) {
      return body;
    } else if (min === f.min && extent === f.extent && step === f.step && body === f.body && kept === f.annotations) {
      out = f;
    } else {
      out = f.with({ min, extent, step, body, annotations: kept });
    }
    for (let k = pragmas.length - 1; k >= 0; k--) {
      const [key, value] = pragmas[k]!;
      out = new AttrStmt(f.loopVar, key, value, out);
    }
    return out;
  }
}

/** The extents to allocate: the shape, or with strides, each dimension's stride ratio. */
function allocationShape(buf: Buffer): readonly PrimExpr[] {
  if (buf.strides.length === 0) return buf.shape;
  const shape = buf.shape.slice();
  for (let i = buf.strides.length - 1; i > 0; i--) shape[i] = truncdiv(buf.strides[i - 1]!, buf.strides[i]!);
  return shape;
}
