/**
 * StmtSRef: a stable handle to a Block or a For inside a function being scheduled. The IR is
 * immutable, so every transformation builds new statements; the schedule state re-points the
 * surviving srefs at their new statements (blocks by identity / reuse map / name, loops by their
 * loop variable), and marks the srefs of removed statements invalid.
 */
import { Block, For, type Stmt } from "../tir/stmt.js";

export class StmtSRef {
  constructor(
    /** The current statement; undefined once a transformation removed it. */
    public stmt: Block | For | undefined,
    public parent: StmtSRef | undefined,
    /** Position among the parent's direct children when they form a sequence; -1 otherwise. */
    public seqIndex = -1,
  ) {}

  get valid(): boolean {
    return this.stmt !== undefined;
  }
  get isBlock(): boolean {
    return this.stmt instanceof Block;
  }
  get isLoop(): boolean {
    return this.stmt instanceof For;
  }

  /** The block this sref points at; throws if it is a loop or was removed. */
  block(): Block {
    if (!(this.stmt instanceof Block)) throw new Error(`internal: sref does not point at a block (${this.describe()})`);
    return this.stmt;
  }

  /** The loop this sref points at; throws if it is a block or was removed. */
  loop(): For {
    if (!(this.stmt instanceof For)) throw new Error(`internal: sref does not point at a loop (${this.describe()})`);
    return this.stmt;
  }

  /**
   * TVM's StmtSRef::RootMark / InlineMark: what a LoopRV from sampleComputeLocation holds when
   * the sampled location is "stay at the root" (-1) or "inline" (-2) rather than a loop.
   * computeAt treats the first as a no-op and the second as computeInline.
   */
  static readonly rootMark = new StmtSRef(undefined, undefined);
  static readonly inlineMark = new StmtSRef(undefined, undefined);

  /** "root" / "inline" for the two location marks, undefined for a real sref. */
  get locationMark(): "root" | "inline" | undefined {
    return this === StmtSRef.rootMark ? "root" : this === StmtSRef.inlineMark ? "inline" : undefined;
  }

  describe(): string {
    if (this.locationMark) return `the compute-${this.locationMark} mark`;
    if (this.stmt instanceof Block) return `block "${this.stmt.nameHint}"`;
    if (this.stmt instanceof For) return `loop ${this.stmt.loopVar.name}`;
    return "a removed statement";
  }

  /** Ancestors from the parent up to the root. */
  *ancestors(): IterableIterator<StmtSRef> {
    for (let p = this.parent; p; p = p.parent) yield p;
  }

  /** Whether `this` is `other` or lies inside it. */
  isDescendantOf(other: StmtSRef): boolean {
    for (let p: StmtSRef | undefined = this; p; p = p.parent) if (p === other) return true;
    return false;
  }
}

export function isSRefTarget(s: Stmt): s is Block | For {
  return s instanceof Block || s instanceof For;
}
