/**
 * TIR statements, including TensorIR's Block and BlockRealize. Immutable; constructors check
 * what can be checked locally (dtypes of stores, arity of bindings).
 */
import { bool, int32, type DataType } from "../ir/dtype.js";
import {
  IntImm, PrimExpr, Range, StringImm, Var, checkIndices, nodeToString, type GlobalVar,
} from "../ir/expr.js";
import { Buffer, BufferRegion } from "../ir/buffer.js";
import { registerNode, type Node } from "../ir/node.js";

/**
 * Annotation values: what TVM calls ObjectRef in a Map<String, ObjectRef>. Besides literals,
 * expressions, lists and dicts, the IR nodes that appear there (and that TVMScript prints and
 * parses in annotations): buffers, buffer regions, ranges, iter vars and global vars.
 */
export type AttrValue =
  | number | string | boolean | PrimExpr | Buffer | BufferRegion | Range | IterVar | GlobalVar
  | readonly AttrValue[] | { readonly [k: string]: AttrValue };
export type Annotations = Readonly<Record<string, AttrValue>>;

export abstract class Stmt implements Node {
  abstract readonly kind: string;
  toString(): string {
    return nodeToString(this);
  }
}

export class LetStmt extends Stmt {
  readonly kind = "LetStmt";
  constructor(
    readonly variable: Var,
    readonly value: PrimExpr,
    readonly body: Stmt,
  ) {
    super();
    if (variable.dtype !== value.dtype) {
      throw new TypeError(`LetStmt: variable ${variable.name} is ${variable.dtype} but its value is ${value.dtype}`);
    }
  }
}

export class AttrStmt extends Stmt {
  readonly kind = "AttrStmt";
  constructor(
    readonly node: Node | string,
    readonly attrKey: string,
    readonly value: PrimExpr,
    readonly body: Stmt,
  ) {
    super();
  }
}

export class AssertStmt extends Stmt {
  readonly kind = "AssertStmt";
  constructor(
    readonly condition: PrimExpr,
    readonly message: StringImm,
    readonly body: Stmt,
  ) {
    super();
    if (!condition.dtype.isBool()) throw new TypeError(`AssertStmt: condition must be bool, got ${condition.dtype}`);
  }
}

export class BufferStore extends Stmt {
  readonly kind = "BufferStore";
  constructor(
    readonly buffer: Buffer,
    readonly value: PrimExpr,
    readonly indices: readonly PrimExpr[],
    readonly predicate?: PrimExpr,
  ) {
    super();
    checkIndices("BufferStore", buffer, indices);
    let lanes = 1;
    for (const i of indices) lanes = Math.max(lanes, i.dtype.lanes);
    const expect = buffer.dtype.withLanes(lanes * buffer.dtype.lanes);
    if (value.dtype !== expect) {
      throw new TypeError(
        `BufferStore: storing a ${value.dtype} value into ${buffer.name}, which holds ${expect} (cast the value, e.g. T.Cast("${expect}", ...))`,
      );
    }
  }
}

/** Allocates storage for `bufferVar`; the buffer over it is declared by a DeclBuffer. */
export class Allocate extends Stmt {
  readonly kind = "Allocate";
  constructor(
    readonly bufferVar: Var,
    readonly dtype: DataType,
    readonly extents: readonly PrimExpr[],
    readonly condition: PrimExpr,
    readonly body: Stmt,
    readonly annotations: Annotations = {},
  ) {
    super();
  }
}

export class DeclBuffer extends Stmt {
  readonly kind = "DeclBuffer";
  constructor(
    readonly buffer: Buffer,
    readonly body: Stmt,
  ) {
    super();
  }
}

export type ForKind = "serial" | "parallel" | "vectorized" | "unrolled" | "thread_binding";

export class For extends Stmt {
  readonly kind = "For";
  constructor(
    readonly loopVar: Var,
    readonly min: PrimExpr,
    readonly extent: PrimExpr,
    readonly forKind: ForKind,
    readonly body: Stmt,
    /** For `thread_binding` loops: the thread axis, e.g. "threadIdx.x". */
    readonly threadTag?: string,
    readonly annotations: Annotations = {},
    readonly step?: PrimExpr,
  ) {
    super();
    if (min.dtype !== loopVar.dtype || extent.dtype !== loopVar.dtype) {
      throw new TypeError(
        `For ${loopVar.name}: loop variable is ${loopVar.dtype} but min is ${min.dtype} and extent is ${extent.dtype}`,
      );
    }
    if (forKind === "thread_binding" && !threadTag) throw new TypeError(`For ${loopVar.name}: thread_binding needs a thread tag`);
  }

  with(changes: Partial<Pick<For, "loopVar" | "min" | "extent" | "forKind" | "body" | "threadTag" | "annotations" | "step">>): For {
    return new For(
      changes.loopVar ?? this.loopVar,
      changes.min ?? this.min,
      changes.extent ?? this.extent,
      changes.forKind ?? this.forKind,
      changes.body ?? this.body,
      "threadTag" in changes ? changes.threadTag : this.threadTag,
      changes.annotations ?? this.annotations,
      "step" in changes ? changes.step : this.step,
    );
  }
}

export class While extends Stmt {
  readonly kind = "While";
  constructor(
    readonly condition: PrimExpr,
    readonly body: Stmt,
  ) {
    super();
    if (!condition.dtype.isBool()) throw new TypeError(`While: condition must be bool, got ${condition.dtype}`);
  }
}

export class SeqStmt extends Stmt {
  readonly kind = "SeqStmt";
  constructor(readonly seq: readonly Stmt[]) {
    super();
  }
  /** Flattens nested sequences; returns the single statement when there is only one. */
  static flatten(stmts: readonly Stmt[]): Stmt {
    const out: Stmt[] = [];
    const push = (s: Stmt) => {
      if (s instanceof SeqStmt) s.seq.forEach(push);
      else out.push(s);
    };
    stmts.forEach(push);
    if (out.length === 1) return out[0]!;
    return new SeqStmt(out);
  }
}

export class IfThenElse extends Stmt {
  readonly kind = "IfThenElse";
  constructor(
    readonly condition: PrimExpr,
    readonly thenCase: Stmt,
    readonly elseCase?: Stmt,
  ) {
    super();
    if (!condition.dtype.isBool()) throw new TypeError(`IfThenElse: condition must be bool, got ${condition.dtype}`);
  }
}

export class Evaluate extends Stmt {
  readonly kind = "Evaluate";
  constructor(readonly value: PrimExpr) {
    super();
  }
}

/** Kinds of block iteration variables (TVM's IterVarType). */
export type IterVarType = "DataPar" | "CommReduce" | "Ordered" | "Opaque" | "ThreadIndex";

export class IterVar implements Node {
  readonly kind = "IterVar";
  constructor(
    readonly dom: Range,
    readonly variable: Var,
    readonly iterType: IterVarType,
    readonly threadTag = "",
  ) {
    if (dom.min.dtype !== variable.dtype) {
      throw new TypeError(`IterVar ${variable.name}: variable is ${variable.dtype} but its domain is ${dom.min.dtype}`);
    }
  }
  toString(): string {
    return `IterVar(${this.variable.name}, ${this.iterType})`;
  }
}

export class MatchBufferRegion implements Node {
  readonly kind = "MatchBufferRegion";
  constructor(
    readonly buffer: Buffer,
    readonly source: BufferRegion,
  ) {}
}

export interface BlockFields {
  iterVars?: readonly IterVar[];
  reads?: readonly BufferRegion[];
  writes?: readonly BufferRegion[];
  nameHint?: string;
  body?: Stmt;
  init?: Stmt | undefined;
  allocBuffers?: readonly Buffer[];
  matchBuffers?: readonly MatchBufferRegion[];
  annotations?: Annotations;
}

export class Block extends Stmt {
  readonly kind = "Block";
  readonly iterVars: readonly IterVar[];
  readonly reads: readonly BufferRegion[];
  readonly writes: readonly BufferRegion[];
  readonly nameHint: string;
  readonly body: Stmt;
  readonly init: Stmt | undefined;
  readonly allocBuffers: readonly Buffer[];
  readonly matchBuffers: readonly MatchBufferRegion[];
  readonly annotations: Annotations;

  constructor(f: BlockFields & { nameHint: string; body: Stmt }) {
    super();
    this.iterVars = f.iterVars ?? [];
    this.reads = f.reads ?? [];
    this.writes = f.writes ?? [];
    this.nameHint = f.nameHint;
    this.body = f.body;
    this.init = f.init;
    this.allocBuffers = f.allocBuffers ?? [];
    this.matchBuffers = f.matchBuffers ?? [];
    this.annotations = f.annotations ?? {};
  }

  with(changes: BlockFields): Block {
    return new Block({
      iterVars: changes.iterVars ?? this.iterVars,
      reads: changes.reads ?? this.reads,
      writes: changes.writes ?? this.writes,
      nameHint: changes.nameHint ?? this.nameHint,
      body: changes.body ?? this.body,
      init: "init" in changes ? changes.init : this.init,
      allocBuffers: changes.allocBuffers ?? this.allocBuffers,
      matchBuffers: changes.matchBuffers ?? this.matchBuffers,
      annotations: changes.annotations ?? this.annotations,
    });
  }
}

export class BlockRealize extends Stmt {
  readonly kind = "BlockRealize";
  constructor(
    readonly iterValues: readonly PrimExpr[],
    readonly predicate: PrimExpr,
    readonly block: Block,
  ) {
    super();
    if (iterValues.length !== block.iterVars.length) {
      throw new TypeError(
        `BlockRealize of block "${block.nameHint}": ${block.iterVars.length} iter vars but ${iterValues.length} bindings`,
      );
    }
    for (let i = 0; i < iterValues.length; i++) {
      const iv = block.iterVars[i]!;
      if (iterValues[i]!.dtype !== iv.variable.dtype) {
        throw new TypeError(
          `BlockRealize of block "${block.nameHint}": iter var ${iv.variable.name} is ${iv.variable.dtype} but is bound to a ${iterValues[i]!.dtype} value`,
        );
      }
    }
    if (!predicate.dtype.isBool()) throw new TypeError(`BlockRealize of block "${block.nameHint}": predicate must be bool`);
  }

  static of(block: Block, iterValues: readonly PrimExpr[] = [], predicate: PrimExpr = TRUE): BlockRealize {
    return new BlockRealize(iterValues, predicate, block);
  }
}

export const TRUE = new IntImm(bool, 1);
export const FALSE = new IntImm(bool, 0);

/** A no-op statement. */
export function noOp(): Stmt {
  return new Evaluate(new IntImm(int32, 0));
}

registerNode("LetStmt", { value: "node", variable: "def", body: "node" });
registerNode("AttrStmt", { node: "node", attrKey: "value", value: "node", body: "node" });
registerNode("AssertStmt", { condition: "node", message: "node", body: "node" });
registerNode("BufferStore", { buffer: "node", value: "node", indices: "nodes", predicate: "node" });
registerNode("Allocate", { bufferVar: "def", dtype: "value", extents: "nodes", condition: "node", annotations: "attrs", body: "node" });
registerNode("DeclBuffer", { buffer: "def", body: "node" });
registerNode("For", {
  min: "node", extent: "node", step: "node", loopVar: "def", forKind: "value", threadTag: "value", annotations: "attrs", body: "node",
});
registerNode("While", { condition: "node", body: "node" });
registerNode("SeqStmt", { seq: "nodes" });
registerNode("IfThenElse", { condition: "node", thenCase: "node", elseCase: "node" });
registerNode("Evaluate", { value: "node" });
registerNode("IterVar", { dom: "node", variable: "def", iterType: "value", threadTag: "value" });
registerNode("MatchBufferRegion", { source: "node", buffer: "def" });
registerNode("Block", {
  nameHint: "value",
  iterVars: "nodes",
  allocBuffers: "defs",
  matchBuffers: "nodes",
  reads: "nodes",
  writes: "nodes",
  annotations: "attrs",
  init: "node",
  body: "node",
});
registerNode("BlockRealize", { iterValues: "nodes", predicate: "node", block: "node" });
