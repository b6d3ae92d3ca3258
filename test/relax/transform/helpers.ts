import { expect } from "vitest";
import type { IRModule } from "../../../src/ir/module.js";
import { structuralEqual } from "../../../src/ir/structural.js";
import { parseRelaxScript, printRelax } from "../../../src/relax/index.js";
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
  const want = parseRelaxScript(moduleText(after));
  if (!structuralEqual(got, want)) {
    expect(printRelax(got)).toBe(printRelax(want));
    expect.fail("modules print the same but are not structurally equal");
  }
  return got;
}
