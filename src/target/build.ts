/**
 * build: PrimFunc or IRModule + target -> runnable Module. Lowers with the default pipeline
 * (src/tir/pipeline.ts `lower`, then the target's extra passes; `{ lower: null }` skips
 * lowering for input that is already lowered), then hands the lowered module to the target's code
 * generator from the registry. The `js` target is always registered; other targets register
 * themselves when their folder is imported.
 */
import { IRModule } from "../ir/module.js";
import type { Module } from "../runtime/module.js";
import { PrimFunc } from "../tir/function.js";
import { lower as defaultLowering } from "../tir/pipeline.js";
import { StmtExprVisitor } from "../tir/stmt_functor.js";
import "./js/module_js.js";
import { Target, TargetError, getTargetBackend, registeredTargets } from "./target.js";

export interface BuildOptions {
  /** The lowering to apply (default: `lower` of src/tir/pipeline.ts); `null` for lowered input. */
  lower?: ((mod: IRModule) => IRModule) | null;
}

class HasBlock extends StmtExprVisitor {
  found: string | undefined;
  override visitBlock(b: import("../tir/stmt.js").Block): void {
    this.found ??= b.nameHint;
  }
}

/** Name of the first block found in the module's PrimFuncs (undefined: already lowered). */
export function firstBlock(mod: IRModule): string | undefined {
  for (const [, f] of mod.entries()) {
    if (!(f instanceof PrimFunc)) continue;
    const v = new HasBlock();
    v.visitStmt(f.body);
    if (v.found !== undefined) return v.found;
  }
  return undefined;
}

export async function build(input: IRModule | PrimFunc, target: Target | string, opts: BuildOptions = {}): Promise<Module> {
  const t = Target.from(target);
  const backend = getTargetBackend(t.kind);
  if (!backend) {
    throw new TargetError(
      `no code generator is registered for target kind "${t.kind}" (registered: ${registeredTargets().join(", ")}); import src/target/${t.kind} to register it`,
    );
  }
  let mod = input instanceof IRModule ? input : IRModule.fromFunction(input);
  const lower = opts.lower === undefined ? (m: IRModule) => defaultLowering(m, backend.loweringConfig?.(t) ?? {}) : opts.lower;
  if (lower) mod = lower(mod);
  for (const p of backend.extraPasses ?? []) mod = p(mod);
  const block = firstBlock(mod);
  if (block !== undefined) {
    throw new TargetError(`build: block "${block}" is still present; build expects lowered input (no blocks)`);
  }
  return backend.build(mod, t);
}
