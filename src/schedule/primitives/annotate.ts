/**
 * Annotations: annotate / unannotate attach or drop a key on a block or a loop (hints later
 * passes and MetaSchedule read: `pragma_auto_unroll_max_step`, `meta_schedule.tiling_structure`,
 * ...), and enterPostproc marks where a trace's post-processing starts (`removePostproc`
 * replays and serialises only what comes before it).
 */
import { Block, For, type AttrValue } from "../../tir/stmt.js";
import { attrString, registerInstructionKind, type InputValue } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { BlockRV, ExprRV, LoopRV, isRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";

/** What an annotation value may be: literals, sampled values (ExprRV), lists and maps of them. */
export type AnnotationValue = number | string | boolean | ExprRV | readonly AnnotationValue[] | { readonly [k: string]: AnnotationValue };

declare module "../schedule.js" {
  interface Schedule {
    /** Sets annotation `key` on a block or loop; an ExprRV value stores the integer it holds. */
    annotate(target: BlockRV | LoopRV, key: string, value: AnnotationValue): void;
    /** Removes annotation `key` from a block or loop (nothing happens when it is absent, as in TVM). */
    unannotate(target: BlockRV | LoopRV, key: string): void;
    /** Marks the start of post-processing in the trace. */
    enterPostproc(): void;
  }
}

function targetSRef(sch: Schedule, target: BlockRV | LoopRV, prim: string): StmtSRef {
  if (target instanceof BlockRV) return sch.blockSRef(target, prim);
  if (target instanceof LoopRV) return sch.loopSRef(target, prim);
  throw sch.error(prim, `expected a block or a loop (BlockRV or LoopRV), got ${describe(target)}`);
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (isRV(x)) return x.kind;
  if (Array.isArray(x)) return "a list";
  return typeof x === "object" ? "an object" : `${typeof x} ${JSON.stringify(x)}`;
}

function checkKey(sch: Schedule, key: unknown, prim: string): string {
  if (typeof key !== "string" || key === "") throw sch.error(prim, `the annotation key must be a non-empty string, got ${JSON.stringify(key)}`);
  return key;
}

/** The IR form of an annotation value: sampled values resolved to their integers. */
function toAttrValue(sch: Schedule, v: unknown, prim: string, path: string): AttrValue {
  if (v instanceof ExprRV) return sch.value(v, prim);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw sch.error(prim, `annotation value${path} must be finite, got ${v}`);
    return v;
  }
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map((x, i) => toAttrValue(sch, x, prim, `${path}[${i}]`));
  if (v !== null && typeof v === "object" && !isRV(v) && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, AttrValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toAttrValue(sch, x, prim, `${path}.${k}`);
    return out;
  }
  throw sch.error(prim, `annotation value${path} must be a number, string, boolean, ExprRV, list or map, got ${describe(v)}`);
}

/** Replaces the annotations of the block or loop behind `sref`. */
function setAnnotations(sch: Schedule, sref: StmtSRef, f: (old: Readonly<Record<string, AttrValue>>) => Record<string, AttrValue>): void {
  const stmt = sref.stmt!;
  if (stmt instanceof Block) {
    const nb = stmt.with({ annotations: f(stmt.annotations) });
    sch.state.replace(sref, nb, new Map([[stmt, nb]]));
  } else if (stmt instanceof For) {
    sch.state.replace(sref, stmt.with({ annotations: f(stmt.annotations) }));
  }
}

Schedule.prototype.annotate = function (this: Schedule, target: BlockRV | LoopRV, key: string, value: AnnotationValue): void {
  const prim = "annotate";
  this.transact(prim, () => {
    const sref = targetSRef(this, target, prim);
    const k = checkKey(this, key, prim);
    const v = toAttrValue(this, value, prim, "");
    setAnnotations(this, sref, (old) => ({ ...old, [k]: v }));
    this.record("Annotate", [target, value as InputValue], [k], []);
  });
};

Schedule.prototype.unannotate = function (this: Schedule, target: BlockRV | LoopRV, key: string): void {
  const prim = "unannotate";
  this.transact(prim, () => {
    const sref = targetSRef(this, target, prim);
    const k = checkKey(this, key, prim);
    setAnnotations(this, sref, (old) => {
      const rest = { ...old };
      delete rest[k];
      return rest;
    });
    this.record("Unannotate", [target], [k], []);
  });
};

Schedule.prototype.enterPostproc = function (this: Schedule): void {
  this.transact("enter_postproc", () => this.record("EnterPostproc", [], [], []));
};

registerInstructionKind({
  name: "Annotate",
  pure: false,
  apply: (sch, inputs, attrs) => {
    sch.annotate(inputs[0] as BlockRV | LoopRV, attrString(attrs[0], "Annotate ann_key"), inputs[1] as AnnotationValue);
    return [];
  },
  toTS: (inputs, attrs) => `sch.annotate(${inputs[0]}, ${JSON.stringify(attrs[0])}, ${inputs[1]});`,
});

registerInstructionKind({
  name: "Unannotate",
  pure: false,
  apply: (sch, inputs, attrs) => {
    sch.unannotate(inputs[0] as BlockRV | LoopRV, attrString(attrs[0], "Unannotate ann_key"));
    return [];
  },
  toTS: (inputs, attrs) => `sch.unannotate(${inputs[0]}, ${JSON.stringify(attrs[0])});`,
});

registerInstructionKind({
  name: "EnterPostproc",
  pure: false,
  apply: (sch) => {
    sch.enterPostproc();
    return [];
  },
  toTS: () => "sch.enterPostproc();",
});
