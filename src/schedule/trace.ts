/**
 * Trace: the instructions a schedule executed, with the decisions of its sampling
 * instructions. Serialises to TVM's JSON form `[[inst, ...], [[index, decision], ...]]` (so
 * weft reads TVM tuning records) and replays with the recorded or with new decisions.
 */
import { BlockRV, LoopRV, isRV, type RV } from "./rv.js";
import { Instruction, getInstructionKind, isTraceInputObject, makeRV, tsLiteral, type InputValue, type TraceInputObject } from "./instruction.js";
import { ScheduleError } from "./error.js";
import { dumpsJSON } from "./json_text.js";
import type { Schedule } from "./schedule.js";

export type TraceJSON = [unknown[][], [number, unknown][]];

export interface ApplyOptions {
  /** Stop at the first post-processing instruction ("EnterPostproc"). */
  removePostproc?: boolean;
  /** Replace decisions by instruction index (or with a function of the instruction). */
  decisionOverride?: ReadonlyMap<number, unknown> | ((inst: Instruction, index: number, recorded: unknown) => unknown);
}

const POSTPROC = "EnterPostproc";

export class Trace {
  readonly insts: Instruction[] = [];
  readonly decisions = new Map<Instruction, unknown>();

  append(inst: Instruction, decision?: unknown): void {
    this.insts.push(inst);
    if (decision !== undefined) this.decisions.set(inst, decision);
  }

  /** Drops the instructions from position `n` on, with their decisions (a failed primitive's). */
  truncate(n: number): void {
    for (const inst of this.insts.splice(n)) this.decisions.delete(inst);
  }

  getDecision(inst: Instruction): unknown {
    return this.decisions.get(inst);
  }

  /** A copy with one decision changed (used by mutators in the search). */
  withDecision(inst: Instruction, decision: unknown): Trace {
    if (!this.insts.includes(inst)) throw new Error("Trace.withDecision: the instruction is not in this trace");
    const t = this.copy();
    t.decisions.set(inst, decision);
    return t;
  }

  copy(): Trace {
    const t = new Trace();
    t.insts.push(...this.insts);
    for (const [k, v] of this.decisions) t.decisions.set(k, v);
    return t;
  }

  /** The instructions replay and serialisation see: all, or those before the first EnterPostproc. */
  private active(removePostproc: boolean | undefined): Instruction[] {
    if (!removePostproc) return this.insts;
    const at = this.insts.findIndex((i) => i.kind.name === POSTPROC);
    return at < 0 ? this.insts : this.insts.slice(0, at);
  }

  /**
   * Names every RV by order of definition: b0 / l1 / v2, one counter for the whole trace
   * (TVM's OutputRVsToNames). A null output prints as "_" and takes no number.
   */
  private names(insts: readonly Instruction[]): Map<RV, string> {
    const names = new Map<RV, string>();
    for (const inst of insts) {
      for (const o of inst.outputs) {
        if (o === undefined) continue;
        const letter = o instanceof BlockRV ? "b" : o instanceof LoopRV ? "l" : "v";
        names.set(o, `${letter}${names.size}`);
      }
    }
    return names;
  }

  toJSON(opts: { removePostproc?: boolean } = {}): TraceJSON {
    const insts = this.active(opts.removePostproc);
    const names = this.names(insts);
    const enc = (v: InputValue): unknown => {
      if (v === null || v === undefined) return "None";
      if (isRV(v)) {
        const s = names.get(v);
        if (!s) throw new Error(`trace: an input refers to ${v.kind} ${v.id}, which no earlier instruction of the trace defines`);
        return s;
      }
      if (typeof v === "string") return `"${v}"`; // TVM quotes without escaping; readers strip one char each side
      if (typeof v === "boolean") return v ? 1 : 0;
      if (Array.isArray(v)) return v.map(enc);
      if (isTraceInputObject(v)) return v.toTraceInput(); // an IndexMap: unquoted, as TVM writes it
      return v; // numbers; maps pass through untouched, as in TVM
    };
    const out: unknown[][] = [];
    const decisions: [number, unknown][] = [];
    insts.forEach((inst, i) => {
      const attrs = inst.kind.attrsToJSON ? inst.kind.attrsToJSON(inst.attrs) : [...inst.attrs];
      const outs = inst.outputs.map((o) => (o === undefined ? "_" : names.get(o)!));
      const d = this.decisions.get(inst);
      if (d !== undefined) decisions.push([i, d]);
      out.push([inst.kind.name, inst.inputs.map(enc), attrs, outs]);
    });
    return [out, decisions];
  }

  /** The JSON text TVM's database writes: compact, sorted map keys, floats as `%.20g`. */
  toJSONString(opts: { removePostproc?: boolean } = {}): string {
    return dumpsJSON(this.toJSON(opts));
  }

  /** Reads TVM's JSON form (an array or its text). */
  static fromJSON(json: unknown): Trace {
    const data = typeof json === "string" ? parseJSONText(json) : json;
    if (!Array.isArray(data) || data.length < 1 || data.length > 2 || !Array.isArray(data[0]) || (data.length === 2 && !Array.isArray(data[1]))) {
      throw new Error(`trace JSON: expected [instructions, decisions] (two lists), got ${preview(data)}`);
    }
    const instsJ = data[0] as unknown[];
    const decisionsJ = (data[1] ?? []) as unknown[];
    const decisionAt = new Map<number, unknown>();
    for (const d of decisionsJ) {
      if (!Array.isArray(d) || d.length !== 2 || !Number.isInteger(d[0])) {
        throw new Error(`trace JSON: a decision must be [instruction_index, value], got ${preview(d)}`);
      }
      const at = d[0] as number;
      if (at < 0 || at >= instsJ.length) {
        throw new Error(`trace JSON: decision ${preview(d)} names instruction ${at}, but the trace has ${instsJ.length} instructions`);
      }
      if (decisionAt.has(at)) throw new Error(`trace JSON: two decisions for instruction ${at}`);
      decisionAt.set(at, d[1]);
    }
    const rvs = new Map<string, RV>();
    const trace = new Trace();
    instsJ.forEach((ij, index) => {
      if (!Array.isArray(ij) || ij.length !== 4 || typeof ij[0] !== "string" || !ij.slice(1).every(Array.isArray)) {
        throw new Error(`trace JSON: instruction ${index} must be [kind, [inputs], [attrs], [outputs]], got ${preview(ij)}`);
      }
      const [kindName, inputsJ, attrsJ, outputsJ] = ij as [string, unknown[], unknown[], unknown[]];
      const where = `trace JSON: instruction ${index} (${kindName})`;
      let kind;
      try {
        kind = getInstructionKind(kindName);
      } catch (e) {
        throw new Error(`trace JSON: instruction ${index}: ${(e as Error).message}`);
      }
      const dec = (v: unknown): InputValue => {
        if (v === null || v === "None") return null;
        if (typeof v === "number" || typeof v === "boolean") return v;
        if (Array.isArray(v)) return v.map(dec);
        if (typeof v === "string") {
          if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1);
          // A serialised IndexMap: TVM's JSON graph `{...}` or weft's lambda text. Kept as
          // written so it serialises back unquoted; replay hands its kind the text.
          if ((v.startsWith("{") && v.endsWith("}")) || /^lambda\b/.test(v)) return new SerialisedInput(v);
          const rv = rvs.get(v);
          if (!rv) throw new Error(`${where} uses "${v}", which no earlier instruction defines`);
          return rv;
        }
        if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return v as { [k: string]: InputValue };
        throw new Error(`${where}: cannot read the input ${preview(v)}`);
      };
      const inputs = inputsJ.map(dec);
      let attrs: unknown[];
      try {
        attrs = kind.attrsFromJSON ? kind.attrsFromJSON(attrsJ) : [...attrsJ];
      } catch (e) {
        throw new Error(`${where}: bad attrs ${preview(attrsJ)}: ${(e as Error).message}`);
      }
      const outputs = outputsJ.map((o) => {
        if (o === "_" || o === null) return undefined;
        if (typeof o !== "string" || !/^[blv]\d+$/.test(o)) {
          throw new Error(`${where}: bad output name ${preview(o)} (expected b<N>, l<N>, v<N> or _)`);
        }
        if (rvs.has(o)) throw new Error(`${where} defines "${o}" a second time`);
        const rv = makeRV(o[0]!);
        rvs.set(o, rv);
        return rv;
      });
      trace.append(new Instruction(kind, inputs, attrs, outputs), decisionAt.get(index));
    });
    return trace;
  }

  /**
   * Replays the trace on `sch` (each instruction calls its primitive, which records itself in
   * `sch.trace`); returns the map from this trace's RVs to the schedule's.
   */
  applyTo(sch: Schedule, opts: ApplyOptions = {}): Map<RV, RV | undefined> {
    const map = new Map<RV, RV | undefined>();
    const tr = (v: InputValue): InputValue => {
      if (isRV(v)) {
        if (!map.has(v)) throw new Error(`trace replay: an input refers to ${v.kind} ${v.id}, which no earlier instruction produced`);
        return map.get(v) ?? null;
      }
      if (Array.isArray(v)) return v.map(tr);
      if (v instanceof SerialisedInput) return v.text;
      return v;
    };
    const insts = this.active(opts.removePostproc);
    insts.forEach((inst, index) => {
      const recorded = this.decisions.get(inst);
      let decision = recorded;
      const o = opts.decisionOverride;
      if (typeof o === "function") decision = o(inst, index, recorded);
      else if (o?.has(index)) decision = o.get(index);
      let outs: readonly (RV | undefined)[];
      try {
        outs = inst.kind.apply(sch, inst.inputs.map(tr), inst.attrs, decision);
      } catch (e) {
        // Keep the primitive's error (and its type); say which instruction raised it.
        if (e instanceof Error) e.message = `while replaying trace instruction ${index} (${inst.kind.name}): ${e.message}`;
        throw e;
      }
      if (outs.length !== inst.outputs.length) {
        throw new ScheduleError(
          inst.kind.name,
          `trace instruction ${index} names ${inst.outputs.length} outputs, but replaying it produced ${outs.length}`,
        );
      }
      inst.outputs.forEach((rv, i) => {
        if (rv === undefined) return;
        const got = outs[i];
        if (got !== undefined && got.kind !== rv.kind) {
          throw new ScheduleError(inst.kind.name, `trace instruction ${index}: output ${i} is a ${rv.kind} in the trace but replay produced a ${got.kind}`);
        }
        map.set(rv, got);
      });
    });
    return map;
  }

  /** The trace as the TypeScript calls that reproduce it, one statement per line. */
  toTypeScript(opts: { removePostproc?: boolean } = {}): string {
    const insts = this.active(opts.removePostproc);
    const names = this.names(insts);
    const nameOf = (v: InputValue): string => {
      if (v === null || v === undefined) return "undefined";
      if (isRV(v)) return names.get(v) ?? "undefined";
      if (Array.isArray(v)) return `[${v.map(nameOf).join(", ")}]`;
      if (isTraceInputObject(v)) return JSON.stringify(v.toTraceInput());
      return tsLiteral(v);
    };
    const lines = insts.map((inst) =>
      inst.kind.toTS(
        inst.inputs.map(nameOf),
        inst.attrs,
        inst.outputs.map((o) => (o === undefined ? "_" : names.get(o)!)),
        this.decisions.get(inst),
      ),
    );
    return lines.join("\n") + (lines.length ? "\n" : "");
  }
}

/** An input read from JSON text that is written back exactly as read (an IndexMap's text). */
class SerialisedInput implements TraceInputObject {
  constructor(readonly text: string) {}
  toTraceInput(): string {
    return this.text;
  }
}

function parseJSONText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`trace JSON: not valid JSON (${(e as Error).message})`);
  }
}

function preview(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
