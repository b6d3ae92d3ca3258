/**
 * Schedule: the user-facing handle for transforming an IRModule with TensorIR primitives.
 * It owns the schedule state (module + sref tree), the symbol table that maps random
 * variables to srefs or sampled values, the random state and the trace.
 *
 * Primitives live in primitives/<family>.ts and attach themselves to this class; each checks
 * its preconditions (throwing ScheduleError), transforms through `state.replace`, and records
 * an instruction. `transact` undoes everything when a primitive fails midway.
 */
import { IRModule } from "../ir/module.js";
import type { Node } from "../ir/node.js";
import { PrimFunc } from "../tir/function.js";
import { Block, For } from "../tir/stmt.js";
import { ScheduleState } from "./state.js";
import { StmtSRef } from "./sref.js";
import { BlockRV, ExprRV, LoopRV, type RV } from "./rv.js";
import { ScheduleError } from "./error.js";
import { ScheduleRandom } from "./random.js";
import { Trace } from "./trace.js";
import { Instruction, getInstructionKind, type InputValue } from "./instruction.js";

export interface ScheduleOptions {
  /** Seed of the random state used by the sampling primitives. */
  seed?: number;
  /** Extra verification after each primitive (bit 1: re-check every block's bindings). */
  debugMask?: number;
}

export class Schedule {
  state: ScheduleState;
  trace = new Trace();
  random: ScheduleRandom;
  readonly debugMask: number;
  /** The function `getBlock` looks in when no name is given. */
  funcWorkingOn: string | undefined;
  private symbols = new Map<RV, StmtSRef | number | undefined>();

  constructor(mod: IRModule | PrimFunc, opts: ScheduleOptions = {}) {
    const m = mod instanceof PrimFunc ? IRModule.fromFunction(mod) : mod;
    this.state = new ScheduleState(m);
    this.random = new ScheduleRandom(opts.seed ?? 42);
    this.debugMask = opts.debugMask ?? 0;
    const names = this.state.funcNames();
    this.funcWorkingOn = names.length === 1 ? names[0] : names.includes("main") ? "main" : undefined;
  }

  get mod(): IRModule {
    return this.state.mod;
  }

  /** Picks the function that later `getBlock` calls without a function name look in. */
  workOn(funcName: string): void {
    this.state.rootSRef(funcName);
    this.funcWorkingOn = funcName;
  }

  /** An independent copy: same module, trace and random state; RVs keep pointing at the same things. */
  copy(): Schedule {
    const c = Object.create(Schedule.prototype) as Schedule;
    Object.assign(c, { debugMask: this.debugMask, funcWorkingOn: this.funcWorkingOn });
    c.state = new ScheduleState(this.state.mod);
    c.trace = this.trace.copy();
    c.random = Object.assign(Object.create(ScheduleRandom.prototype), this.random) as ScheduleRandom;
    c.symbols = new Map();
    for (const [rv, v] of this.symbols) {
      if (v instanceof StmtSRef && !v.locationMark) c.symbols.set(rv, v.stmt ? c.state.getSRef(v.stmt) : undefined);
      else c.symbols.set(rv, v);
    }
    return c;
  }

  /** A copy whose random state is independent of this one's. */
  fork(): Schedule {
    const c = this.copy();
    c.random = new ScheduleRandom(this.random.forkSeed());
    return c;
  }

  get(rv: BlockRV): Block;
  get(rv: LoopRV): For;
  get(rv: ExprRV): number;
  get(rv: RV): Block | For | number {
    const v = this.symbols.get(rv);
    if (typeof v === "number") return v;
    if (v === undefined && !this.symbols.has(rv)) throw new Error(`${rv.kind} ${rv.id} does not belong to this schedule`);
    if (v?.locationMark) throw new Error(`${rv.kind} ${rv.id} is ${v.describe()} from sampleComputeLocation, not a loop`);
    if (!v || !v.stmt) throw new Error(`${rv.kind} ${rv.id} refers to a statement that a previous primitive removed`);
    return v.stmt;
  }

  getSRef(rv: BlockRV | LoopRV): StmtSRef {
    const v = this.symbols.get(rv);
    if (!(v instanceof StmtSRef)) throw new Error(`${rv.kind} ${rv.id} does not belong to this schedule`);
    return v;
  }

  // ---------------------------------------------------------------- for primitives

  /** The sref of a block RV, checked to be a live block. */
  blockSRef(rv: BlockRV, primitive: string): StmtSRef {
    if (!(rv instanceof BlockRV)) throw new ScheduleError(primitive, `expected a block (BlockRV), got ${describe(rv)}`);
    const s = this.symbols.get(rv);
    if (!(s instanceof StmtSRef)) throw new ScheduleError(primitive, "the block RV does not belong to this schedule");
    if (!s.stmt) throw new ScheduleError(primitive, "the block was removed by an earlier primitive");
    return s;
  }

  /** The sref of a loop RV, checked to be a live loop. */
  loopSRef(rv: LoopRV, primitive: string): StmtSRef {
    if (!(rv instanceof LoopRV)) throw new ScheduleError(primitive, `expected a loop (LoopRV), got ${describe(rv)}`);
    const s = this.symbols.get(rv);
    if (!(s instanceof StmtSRef)) throw new ScheduleError(primitive, "the loop RV does not belong to this schedule");
    if (s.locationMark) {
      throw new ScheduleError(primitive, `the loop RV is ${s.describe()} that sampleComputeLocation returned; only computeAt and reverseComputeAt accept it`);
    }
    if (!s.stmt) throw new ScheduleError(primitive, "the loop was removed by an earlier primitive (e.g. split or fuse replace their loops)");
    return s;
  }

  /**
   * For a LoopRV from sampleComputeLocation: "root" (decision -1: leave the block where it is)
   * or "inline" (decision -2: inline it); undefined for an ordinary loop.
   */
  locationMark(rv: LoopRV): "root" | "inline" | undefined {
    const s = this.symbols.get(rv);
    return s instanceof StmtSRef ? s.locationMark : undefined;
  }

  /** The integer an ExprRV holds, or the number itself. */
  value(v: ExprRV | number, primitive: string): number {
    if (typeof v === "number") return v;
    const x = this.symbols.get(v);
    if (typeof x !== "number") throw new ScheduleError(primitive, "expected an integer or a sampled value (ExprRV)");
    return x;
  }

  newBlockRV(sref: StmtSRef): BlockRV {
    const rv = new BlockRV();
    this.symbols.set(rv, sref);
    return rv;
  }
  newLoopRV(sref: StmtSRef): LoopRV {
    const rv = new LoopRV();
    this.symbols.set(rv, sref);
    return rv;
  }
  newExprRV(value: number): ExprRV {
    const rv = new ExprRV();
    this.symbols.set(rv, value);
    return rv;
  }

  /** Appends an instruction of a registered kind to the trace. */
  record(kind: string, inputs: readonly InputValue[], attrs: readonly unknown[], outputs: readonly (RV | undefined)[], decision?: unknown): void {
    this.trace.append(new Instruction(getInstructionKind(kind), inputs, attrs, outputs), decision);
  }

  /** Runs a primitive; on any error the module, the srefs and the trace are left as they were. */
  transact<T>(primitive: string, f: () => T): T {
    const restore = this.state.snapshot();
    const n = this.trace.insts.length;
    try {
      return f();
    } catch (e) {
      restore();
      this.trace.truncate(n);
      if (e instanceof ScheduleError) throw e;
      if (e instanceof Error) {
        // Keep the original as `cause`: tests tell refusals from internal failures by it.
        const se = new ScheduleError(primitive, e.message);
        se.cause = e;
        throw se;
      }
      throw e;
    }
  }

  /** A ScheduleError showing the function that holds `at`, with the given statements marked. */
  error(primitive: string, rule: string, at?: StmtSRef, marked: readonly (StmtSRef | Node)[] = []): ScheduleError {
    const func = at ? this.state.funcOf(at) : undefined;
    const name = at ? this.state.funcNameOf(at) : undefined;
    const nodes = marked.map((m) => (m instanceof StmtSRef ? m.stmt! : m)).filter((x) => x !== undefined) as Node[];
    return new ScheduleError(primitive, rule, func, nodes, name);
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object" && "kind" in x) return String((x as { kind: string }).kind);
  return typeof x;
}
