import { expect } from "vitest";
import type { IRModule } from "../../../src/ir/module.js";
import { assertStructuralEqual, structuralEqual } from "../../../src/ir/structural.js";
import { Function, RUNTIME_CHECKS_ATTR, parseRelaxScript, printRelax } from "../../../src/relax/index.js";
import type { Pass } from "../../../src/relax/transform/index.js";
import { HEADER, KERNELS } from "./chain.js";

/** A module of the shared kernels plus the given Relax functions (indented class members). */
export function moduleText(functions: string): string {
  return `${HEADER}\n${KERNELS}\n${functions}`;
}

/** Applies the pass to `before` and compares with `after` structurally (prints both on failure). */
export function expectPass(pass: Pass | readonly Pass[], before: string, after: string): IRModule {
  const passes = Array.isArray(pass) ? pass : [pass as Pass];
  let got = parseRelaxScript(moduleText(before));
  for (const p of passes) got = p(got);
  // Parsing re-runs StructInfo inference, which records again the checks it cannot prove
  // (e.g. a symbolic reshape) although the text has none: drop those the text did not state.
  const want = dropUnstatedChecks(parseRelaxScript(moduleText(after)), after);
  if (!structuralEqual(got, want)) {
    expect(printRelax(got)).toBe(printRelax(want));
    assertStructuralEqual(got, want);
  }
  return got;
}

function dropUnstatedChecks(mod: IRModule, text: string): IRModule {
  if (text.includes(RUNTIME_CHECKS_ATTR)) return mod;
  return mod.map((f) => {
    if (!(f instanceof Function) || !(RUNTIME_CHECKS_ATTR in f.attrs)) return f;
    const attrs = { ...f.attrs };
    delete (attrs as Record<string, unknown>)[RUNTIME_CHECKS_ATTR];
    return f.withAttrs(attrs);
  });
}
