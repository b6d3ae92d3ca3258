/**
 * Instructions: one recorded call of a schedule primitive. Each primitive registers an
 * InstructionKind under TVM's name ("Split", "GetBlock", ...) that knows how to re-apply the
 * call to another schedule and how to print it as TypeScript.
 */
import { BlockRV, ExprRV, LoopRV, type RV } from "./rv.js";
import type { Schedule } from "./schedule.js";

/** What an instruction input can be: random variables, literals, null ("None") or lists of these. */
export type InputValue = RV | number | string | boolean | null | undefined | readonly InputValue[];

export interface InstructionKind {
  readonly name: string;
  /** Pure instructions (queries, sampling) may be dropped when their outputs are unused. */
  readonly pure: boolean;
  /** Re-applies the call; returns the new outputs in order. */
  apply(sch: Schedule, inputs: readonly InputValue[], attrs: readonly unknown[], decision: unknown): readonly (RV | undefined)[];
  /** The call as TypeScript, e.g. `const [l1, l2] = sch.split(l0, [undefined, 32]);`. */
  toTS(inputs: readonly string[], attrs: readonly unknown[], outputs: readonly string[], decision: unknown): string;
  /** Attr (de)serialisation when the JSON form differs from the in-memory one. */
  attrsToJSON?(attrs: readonly unknown[]): unknown[];
  attrsFromJSON?(json: readonly unknown[]): unknown[];
}

const kinds = new Map<string, InstructionKind>();
/** Later TVM spellings of the same instruction. */
const aliases: Record<string, string> = { GetSBlock: "GetBlock" };

export function registerInstructionKind(kind: InstructionKind): void {
  kinds.set(kind.name, kind);
}

export function getInstructionKind(name: string): InstructionKind {
  const k = kinds.get(aliases[name] ?? name);
  if (!k) {
    const known = [...kinds.keys()].sort().join(", ");
    throw new Error(`unknown schedule instruction "${name}" (weft knows: ${known})`);
  }
  return k;
}

export function instructionKindNames(): string[] {
  return [...kinds.keys()].sort();
}

export class Instruction {
  constructor(
    readonly kind: InstructionKind,
    readonly inputs: readonly InputValue[],
    readonly attrs: readonly unknown[],
    readonly outputs: readonly (RV | undefined)[],
  ) {}
}

/** Prints a literal for toTS: strings quoted, arrays as arrays, null/undefined as undefined. */
export function tsLiteral(v: unknown): string {
  if (v === null || v === undefined) return "undefined";
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tsLiteral).join(", ")}]`;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** Output binding for toTS: `const x = `, `const [a, b] = `, or nothing. */
export function tsOutputs(outputs: readonly string[], asArray: boolean): string {
  if (outputs.length === 0) return "";
  if (!asArray && outputs.length === 1) return `const ${outputs[0]} = `;
  return `const [${outputs.join(", ")}] = `;
}

export function makeRV(kindLetter: string): RV {
  if (kindLetter === "b") return new BlockRV();
  if (kindLetter === "l") return new LoopRV();
  return new ExprRV();
}
