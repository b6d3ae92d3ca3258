/**
 * Trace: the instructions a schedule executed, with the decisions of its sampling
 * instructions. Serialises to TVM's JSON form `[[inst, ...], [[index, decision], ...]]` (so
 * weft reads TVM tuning records) and replays with the recorded or with new decisions.
 */
import { BlockRV, LoopRV, isRV, type RV } from "./rv.js";
import { Instruction, getInstructionKind, makeRV, type InputValue } from "./instruction.js";
import type { Schedule } from "./schedule.js";

export type TraceJSON = [unknown[][], [number, unknown][]];

export interface ApplyOptions {
  /** Stop at the first post-processing instruction ("EnterPostproc"). */
  removePostproc?: boolean;
  /** Replace decisions by instruction index (or with a function of the instruction). */
  decisionOverride?: ReadonlyMap<number, unknown> | ((inst: Instruction, index: number, recorded: unknown) => unknown);
}

export class Trace {
  readonly insts: Instruction[] = [];
  readonly decisions = new Map<Instruction, unknown>();

  append(inst: Instruction, decision?: unknown): void {
    this.insts.push(inst);
    if (decision !== undefined) this.decisions.set(inst, decision);
  }

  getDecision(inst: Instruction): unknown {
    return this.decisions.get(inst);
  }

  /** A copy with one decision changed (used by mutators in the search). */
  withDecision(inst: Instruction, decision: unknown): Trace {
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

  /** Names every RV by order of definition: b0 / l1 / v2 (one counter for the whole trace). */
  private names(): Map<RV, string> {
    const names = new Map<RV, string>();
    let n = 0;
    for (const inst of this.insts) {
      for (const o of inst.outputs) {
        if (o === undefined) continue;
        const letter = o instanceof BlockRV ? "b" : o instanceof LoopRV ? "l" : "v";
        names.set(o, `${letter}${n++}`);
      }
    }
    return names;
  }

  toJSON(opts: { removePostproc?: boolean } = {}): TraceJSON {
    const names = this.names();
    const enc = (v: InputValue): unknown => {
      if (v === null || v === undefined) return "None";
      if (isRV(v)) {
        const s = names.get(v);
        if (!s) throw new Error("internal: trace input refers to a random variable no instruction defined");
        return s;
      }
      if (typeof v === "string") return JSON.stringify(v);
      if (typeof v === "boolean") return v ? 1 : 0;
      if (Array.isArray(v)) return v.map(enc);
      return v;
    };
    const insts: unknown[][] = [];
    const decisions: [number, unknown][] = [];
    for (const inst of this.insts) {
      if (opts.removePostproc && inst.kind.name === "EnterPostproc") break;
      const attrs = inst.kind.attrsToJSON ? inst.kind.attrsToJSON(inst.attrs) : [...inst.attrs];
      const outs = inst.outputs.map((o) => (o === undefined ? "_" : names.get(o)!));
      const d = this.decisions.get(inst);
      if (d !== undefined) decisions.push([insts.length, d]);
      insts.push([inst.kind.name, inst.inputs.map(enc), attrs, outs]);
    }
    return [insts, decisions];
  }

  toJSONString(opts: { removePostproc?: boolean } = {}): string {
    return JSON.stringify(this.toJSON(opts));
  }

  /** Reads TVM's JSON form (an array or its text). */
  static fromJSON(json: unknown): Trace {
    const data = typeof json === "string" ? parseJSONText(json) : json;
    if (!Array.isArray(data) || data.length < 1 || !Array.isArray(data[0])) {
      throw new Error("trace JSON: expected [instructions, decisions]");
    }
    const [instsJ, decisionsJ = []] = data as [unknown[], unknown[]];
    const decisionAt = new Map<number, unknown>();
    for (const d of decisionsJ as unknown[]) {
      if (!Array.isArray(d) || d.length !== 2 || typeof d[0] !== "number") {
        throw new Error(`trace JSON: a decision must be [instruction_index, value], got ${JSON.stringify(d)}`);
      }
      decisionAt.set(d[0], d[1]);
    }
    const rvs = new Map<string, RV>();
    const trace = new Trace();
    instsJ.forEach((ij, index) => {
      if (!Array.isArray(ij) || ij.length !== 4 || typeof ij[0] !== "string") {
        throw new Error(`trace JSON: instruction ${index} must be [kind, inputs, attrs, outputs], got ${JSON.stringify(ij)}`);
      }
      const [kindName, inputsJ, attrsJ, outputsJ] = ij as [string, unknown[], unknown[], unknown[]];
      const kind = getInstructionKind(kindName);
      const dec = (v: unknown): InputValue => {
        if (v === null || v === "None") return null;
        if (typeof v === "number" || typeof v === "boolean") return v;
        if (Array.isArray(v)) return v.map(dec);
        if (typeof v === "string") {
          if (v.startsWith('"')) return JSON.parse(v) as string;
          if (v.startsWith("{")) return v; // a serialised IndexMap; its kind decodes it
          const rv = rvs.get(v);
          if (!rv) throw new Error(`trace JSON: instruction ${index} (${kindName}) uses "${v}" before any instruction defines it`);
          return rv;
        }
        throw new Error(`trace JSON: instruction ${index} (${kindName}): cannot read input ${JSON.stringify(v)}`);
      };
      const inputs = (inputsJ ?? []).map(dec);
      const attrs = kind.attrsFromJSON ? kind.attrsFromJSON(attrsJ ?? []) : [...(attrsJ ?? [])];
      const outputs = (outputsJ ?? []).map((o) => {
        if (o === "_" || o === null) return undefined;
        if (typeof o !== "string" || !/^[blv]\d+$/.test(o)) {
          throw new Error(`trace JSON: instruction ${index} (${kindName}): bad output name ${JSON.stringify(o)}`);
        }
        const rv = makeRV(o[0]!);
        rvs.set(o, rv);
        return rv;
      });
      trace.append(new Instruction(kind, inputs, attrs, outputs), decisionAt.get(index));
    });
    return trace;
  }

  /** Replays the trace on `sch`; returns the map from this trace's RVs to the schedule's. */
  applyTo(sch: Schedule, opts: ApplyOptions = {}): Map<RV, RV | undefined> {
    const map = new Map<RV, RV | undefined>();
    const tr = (v: InputValue): InputValue => {
      if (isRV(v)) {
        if (!map.has(v)) throw new Error("trace replay: an input refers to a random variable that was never produced");
        return map.get(v) ?? null;
      }
      if (Array.isArray(v)) return v.map(tr);
      return v;
    };
    this.insts.forEach((inst, index) => {
      if (opts.removePostproc && inst.kind.name === "EnterPostproc") return;
      const recorded = this.decisions.get(inst);
      let decision = recorded;
      const o = opts.decisionOverride;
      if (typeof o === "function") decision = o(inst, index, recorded);
      else if (o?.has(index)) decision = o.get(index);
      const outs = inst.kind.apply(sch, inst.inputs.map(tr), inst.attrs, decision);
      inst.outputs.forEach((rv, i) => {
        if (rv !== undefined) map.set(rv, outs[i]);
      });
    });
    return map;
  }

  /** The trace as the TypeScript calls that reproduce it. */
  toTypeScript(): string {
    const names = this.names();
    const nameOf = (v: InputValue): string => {
      if (v === null || v === undefined) return "undefined";
      if (isRV(v)) return names.get(v) ?? "undefined";
      if (typeof v === "string") return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(nameOf).join(", ")}]`;
      return String(v);
    };
    const lines = this.insts.map((inst) =>
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

function parseJSONText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`trace JSON: not valid JSON (${(e as Error).message})`);
  }
}

