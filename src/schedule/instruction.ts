/**
 * Instructions: one recorded call of a schedule primitive. Each primitive registers an
 * InstructionKind under TVM's name ("Split", "GetBlock", ...) that knows how to re-apply the
 * call to another schedule and how to print it as TypeScript.
 */
import { BlockRV, ExprRV, LoopRV, type RV } from "./rv.js";
import type { Schedule } from "./schedule.js";

/**
 * What an instruction input can be: random variables, literals, null ("None"), lists of these,
 * or a string-keyed map (annotation values; TVM passes maps through the JSON form untouched).
 */
export type InputValue =
  | RV
  | number
  | string
  | boolean
  | null
  | undefined
  | readonly InputValue[]
  | { readonly [key: string]: InputValue }
  | TraceInputObject;

/**
 * An input that writes itself into the trace JSON as one unquoted string, as TVM does for an
 * IndexMap (TVM: a JSON graph `{...}`; weft: the lambda text). Its kind parses it back on replay.
 */
export interface TraceInputObject {
  toTraceInput(): string;
}

export function isTraceInputObject(v: unknown): v is TraceInputObject {
  return typeof v === "object" && v !== null && typeof (v as { toTraceInput?: unknown }).toTraceInput === "function";
}

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

/**
 * Output binding for toTS: `const x = `, `const [a, b] = `, or nothing. A null output ("_",
 * e.g. the unknown first factor of a symbolic-extent tile) becomes a hole: `const [, a] = `.
 */
export function tsOutputs(outputs: readonly string[], asArray: boolean): string {
  if (outputs.every((o) => o === "_")) return "";
  if (!asArray && outputs.length === 1) return `const ${outputs[0]} = `;
  return `const [${outputs.map((o) => (o === "_" ? "" : o)).join(", ")}] = `;
}

/**
 * A boolean attr as traces carry it: TVM writes C++ bools as 1/0 and IntImm bools as
 * true/false, and a replayer must take either for every boolean attr.
 */
export function attrBool(v: unknown, what: string): boolean {
  if (v === true || v === 1) return true;
  if (v === false || v === 0) return false;
  throw new Error(`${what}: expected a boolean attr (true/false or 1/0), got ${JSON.stringify(v)}`);
}

/** An integer attr (TVM's Integer / IntImm). */
export function attrInt(v: unknown, what: string): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  throw new Error(`${what}: expected an integer attr, got ${JSON.stringify(v)}`);
}

/** A string attr (attrs are raw JSON, so strings are not quoted). */
export function attrString(v: unknown, what: string): string {
  if (typeof v === "string") return v;
  throw new Error(`${what}: expected a string attr, got ${JSON.stringify(v)}`);
}

export function makeRV(kindLetter: string): RV {
  if (kindLetter === "b") return new BlockRV();
  if (kindLetter === "l") return new LoopRV();
  return new ExprRV();
}
