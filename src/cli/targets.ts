/**
 * What `weft script run --target`, `weft build` and `weft bench` share: picking a code
 * generator (targets register themselves when their folder is imported; the imports below
 * register all of CLI_TARGETS), the optional default CPU schedule, and counting the flops of a
 * PrimFunc.
 */
import { IRModule } from "../ir/module.js";
import { structuralEqual } from "../ir/structural.js";
import { Add, BufferLoad, Cast, IntImm, Mul, type PrimExpr } from "../ir/expr.js";
import { applyDefaultSchedule } from "../schedule/default/index.js";
import { build } from "../target/build.js";
import "../target/c/index.js";
import "../target/js/index.js";
import "../target/wasm/index.js";
import { Target, TargetError } from "../target/target.js";
import type { Module } from "../runtime/module.js";
import { PrimFunc } from "../tir/function.js";
import { BufferStore, type Block, type BlockRealize } from "../tir/stmt.js";
import { StmtExprVisitor } from "../tir/stmt_functor.js";
import { CliError } from "./errors.js";

/** The targets the CLI compiles for. */
export const CLI_TARGETS = ["c", "wasm", "js"] as const;
export type CliTarget = (typeof CLI_TARGETS)[number];

/**
 * Parses `--target` (a kind, optionally with options: "c -num-cores=2") and checks that the kind
 * is one the CLI supports. Throws CliError with the valid targets.
 */
export async function resolveTarget(text: string): Promise<Target> {
  const kind = text.trim().split(/\s+/)[0] ?? "";
  if (!(CLI_TARGETS as readonly string[]).includes(kind)) {
    throw new CliError(`unknown target "${text}": valid targets are ${CLI_TARGETS.join(", ")}`);
  }
  try {
    return Target.parse(text);
  } catch (e) {
    throw new CliError(e instanceof Error ? e.message : String(e));
  }
}

/** Applies the default CPU schedule (src/schedule/default) when asked. */
export async function maybeSchedule(mod: IRModule, target: Target, wanted: boolean): Promise<{ mod: IRModule; scheduled: boolean }> {
  if (!wanted) return { mod, scheduled: false };
  return { mod: applyDefaultSchedule(mod, target), scheduled: true };
}

/** Builds one function (as a one-function module named `name`) for `target`. */
export async function buildFunc(name: string, func: PrimFunc, target: Target, opts: { defaultSchedule?: boolean } = {}): Promise<{ module: Module; scheduled: boolean; lowered: IRModule }> {
  const base = IRModule.fromFunction(func, name);
  const { mod, scheduled } = await maybeSchedule(base, target, opts.defaultSchedule ?? false);
  const module = await build(mod, target).catch((e: unknown) => {
    if (e instanceof TargetError) throw new CliError(e.message);
    throw e;
  });
  return { module, scheduled, lowered: mod };
}

// ---------------------------------------------------------------------------------------------
// Flop counting

function constInt(e: PrimExpr): number | undefined {
  return e instanceof IntImm ? e.value : undefined;
}

function stripCast(e: PrimExpr): PrimExpr {
  return e instanceof Cast ? stripCast(e.value) : e;
}

function sameIndices(a: readonly PrimExpr[], b: readonly PrimExpr[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i] || structuralEqual(x, b[i]));
}

/** Whether `store` is `C[i] = C[i] + A*B` (either operand order). */
function isMultiplyAdd(store: BufferStore): boolean {
  const v = store.value;
  if (!(v instanceof Add)) return false;
  for (const [acc, prod] of [
    [v.a, v.b],
    [v.b, v.a],
  ] as const) {
    if (acc instanceof BufferLoad && acc.buffer === store.buffer && sameIndices(acc.indices, store.indices) && stripCast(prod) instanceof Mul) return true;
  }
  return false;
}

class FlopCounter extends StmtExprVisitor {
  flops = 0;
  found = false;
  unknown = false;
  override visitBlockRealize(r: BlockRealize): void {
    this.visitBlock(r.block);
  }
  override visitBlock(b: Block): void {
    const hasReduce = b.iterVars.some((iv) => iv.iterType === "CommReduce");
    if (hasReduce && b.body instanceof BufferStore && isMultiplyAdd(b.body)) {
      let n = 1;
      for (const iv of b.iterVars) {
        const ext = constInt(iv.dom.extent);
        if (ext === undefined) {
          this.unknown = true;
          return;
        }
        n *= ext;
      }
      this.flops += 2 * n;
      this.found = true;
      return;
    }
    if (b.init) this.visitStmt(b.init);
    this.visitStmt(b.body);
  }
}

/**
 * Flops of one call: 2 per iteration of every reduction block whose update is a
 * multiply-add (`C = C + A*B`); null when there is none or an extent is symbolic.
 */
export function countFlops(func: PrimFunc): number | null {
  const v = new FlopCounter();
  v.visitStmt(func.body);
  return v.found && !v.unknown ? v.flops : null;
}
