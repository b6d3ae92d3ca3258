/**
 * The printer's state while it walks one root node: the stack of frames (one per scope that
 * defines names: function, loop, block, let, ...), which printed text stands for each defined
 * variable / buffer / global, the options, and which dialect prefixes were used (for the
 * `# from tvm.script import ...` header).
 */
import type { Var } from "../../../ir/expr.js";
import type { For, Stmt } from "../../stmt.js";
import { MARK_CLOSE, MARK_OPEN, type StmtDoc } from "./doc.js";
import { NameTable } from "./names.js";

/** `block`: TVM <= 0.23 spellings (`T.block`); `sblock`: TVM >= 0.24 (`T.sblock`, ...). */
export type Dialect = "block" | "sblock";

export interface PrintOptions {
  /**
   * Nodes to point at: statements get a line of `^` under their first line, expressions
   * (and buffers, variables, regions) are underlined where they are printed.
   */
  highlight?: readonly unknown[];
  /** Name for a bare PrimFunc (default: its `global_symbol`, else `main`). */
  name?: string;
  dialect?: Dialect;
}

/** What a defined object prints as: a name, or text computed at use (`A.data`). */
type Doc = string | (() => string);

export class Frame {
  readonly stmts: StmtDoc[] = [];
  /** Whether the statement printed next may splice its body into this frame (TVM's concise scoping). */
  allowConcise = false;
  /** Objects defined here, with the doc each one shadowed. */
  readonly defs: Array<[object, Doc | undefined]> = [];
  readonly names: string[] = [];
  constructor(readonly node: unknown) {}
}

export class PrinterContext {
  readonly frames: Frame[] = [];
  readonly names = new NameTable();
  readonly highlight: ReadonlySet<unknown>;
  /** True when anything is highlighted; all mark work is skipped otherwise. */
  readonly marking: boolean;
  readonly dialect: Dialect;
  readonly funcName: string | undefined;
  usesTir = false;
  usesIr = false;
  /** Where variables that are used but never defined get their `x = T.int32()` line. */
  declFrame: Frame | undefined;
  /**
   * The body frame of each Allocate / LetStmt being printed, by the data variable it defines:
   * a buffer over that data that nothing declares (`A_1 = T.Buffer(..., data=A)`) is declared
   * there, after the statement that defines its data, as TVM prints it.
   */
  readonly dataFrames = new Map<Var, Frame>();
  /** Loops enclosing the statement being printed, by loop variable (for `T.axis.remap`). */
  readonly loops = new Map<Var, For>();
  /** The statement whose variable uses `T.launch_thread` scoping is judged against, and its counts. */
  useRoot: Stmt | undefined;
  useCounts: Map<Var, number> | undefined;
  /** `name -> cls.name` for the functions of the module being printed. */
  moduleGlobals: Map<string, string> | undefined;
  private readonly docs = new Map<object, Doc>();

  constructor(opts: PrintOptions) {
    this.highlight = new Set(opts.highlight ?? []);
    this.marking = this.highlight.size > 0;
    this.dialect = opts.dialect ?? "block";
    this.funcName = opts.name;
  }

  /** `T.<attr>`. */
  T(attr: string): string {
    this.usesTir = true;
    return "T." + attr;
  }

  /** `I.<attr>`. */
  I(attr: string): string {
    this.usesIr = true;
    return "I." + attr;
  }

  /** Dialect-dependent block spellings. */
  blockWord(word: "block" | "block_attr" | "alloc_buffer"): string {
    if (this.dialect === "block") return this.T(word);
    return this.T(word === "alloc_buffer" ? "sblock_alloc_buffer" : "s" + word);
  }

  enter(node: unknown): Frame {
    const f = new Frame(node);
    this.frames.push(f);
    return f;
  }

  exit(f: Frame): void {
    if (this.frames.pop() !== f) throw new Error("internal: printer frames exited out of order");
    for (let i = f.defs.length - 1; i >= 0; i--) {
      const [obj, prev] = f.defs[i]!;
      if (prev === undefined) this.docs.delete(obj);
      else this.docs.set(obj, prev);
    }
    for (const n of f.names) this.names.release(n);
  }

  top(): Frame {
    const f = this.frames[this.frames.length - 1];
    if (!f) throw new Error("internal: printer has no open frame");
    return f;
  }

  /** Defines `obj` in `frame` under a fresh name derived from `hint`. */
  define(obj: object, hint: string, frame: Frame, fallback = "v"): string {
    const name = this.names.take(hint, fallback);
    frame.names.push(name);
    frame.defs.push([obj, this.docs.get(obj)]);
    this.docs.set(obj, name);
    return name;
  }

  /** Defines `obj` as text computed when used (e.g. a buffer's data pointer as `A.data`). */
  defineInline(obj: object, doc: () => string, frame: Frame): void {
    frame.defs.push([obj, this.docs.get(obj)]);
    this.docs.set(obj, doc);
  }

  isDefined(obj: object): boolean {
    return this.docs.has(obj);
  }

  lookup(obj: object): string | undefined {
    const d = this.docs.get(obj);
    return typeof d === "function" ? d() : d;
  }

  isMarked(obj: unknown): boolean {
    return this.marking && this.highlight.has(obj);
  }

  /** Wraps printed text of `obj` in underline marks when it is highlighted. */
  markText(obj: unknown, text: string): string {
    return this.marking && this.highlight.has(obj) ? MARK_OPEN + text + MARK_CLOSE : text;
  }
}

const PREFIX = "printScript: ";

/** Runs `fn`, prefixing the printer's own errors with where they happened (`function "main": block "C": ...`). */
export function inContext<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(PREFIX)) e.message = `${PREFIX}${what}: ${e.message.slice(PREFIX.length)}`;
    throw e;
  }
}
