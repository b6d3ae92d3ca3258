/**
 * Target descriptions (`c -mcpu=native -num-cores=2`) and the registry of code generators.
 *
 * Text form: a kind followed by `-key=value` or `-key` (boolean true) options. Values that read
 * as numbers become numbers, `true`/`false` booleans, everything else strings. The canonical
 * `toString()` writes the kind, then the options sorted by key (`-key` for true).
 */
import type { IRModule } from "../ir/module.js";
import type { Module } from "../runtime/module.js";
import type { LoweringConfig } from "../tir/pipeline.js";

export const TARGET_KINDS = ["c", "wasm", "js", "webgpu"] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];
export type TargetAttrValue = string | number | boolean;

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetError";
  }
}

export class Target {
  readonly attrs: Readonly<Record<string, TargetAttrValue>>;
  constructor(
    readonly kind: TargetKind,
    attrs: Readonly<Record<string, TargetAttrValue>> = {},
  ) {
    if (!(TARGET_KINDS as readonly string[]).includes(kind)) throw unknownKind(kind);
    this.attrs = Object.freeze({ ...attrs });
  }

  static parse(text: string): Target {
    const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length === 0) throw new TargetError(`empty target string: expected one of ${TARGET_KINDS.join(", ")}`);
    const kind = words[0]!;
    if (!(TARGET_KINDS as readonly string[]).includes(kind)) throw unknownKind(kind);
    const attrs: Record<string, TargetAttrValue> = {};
    for (const w of words.slice(1)) {
      const m = /^--?([A-Za-z_][\w.-]*)(?:=(.*))?$/.exec(w);
      if (!m) throw new TargetError(`target "${text}": option "${w}" must look like -key or -key=value`);
      const key = m[1]!;
      if (key in attrs) throw new TargetError(`target "${text}": option -${key} is given twice`);
      attrs[key] = m[2] === undefined ? true : parseValue(m[2]);
    }
    return new Target(kind as TargetKind, attrs);
  }

  /** A Target from a Target or its text. */
  static from(t: Target | string): Target {
    return typeof t === "string" ? Target.parse(t) : t;
  }

  get(key: string): TargetAttrValue | undefined {
    return this.attrs[key];
  }
  getNumber(key: string, dflt: number): number {
    const v = this.attrs[key];
    if (v === undefined) return dflt;
    if (typeof v !== "number") throw new TargetError(`target ${this}: -${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  }
  getBool(key: string, dflt: boolean): boolean {
    const v = this.attrs[key];
    if (v === undefined) return dflt;
    if (typeof v !== "boolean") throw new TargetError(`target ${this}: -${key} must be a boolean, got ${JSON.stringify(v)}`);
    return v;
  }

  with(attrs: Readonly<Record<string, TargetAttrValue>>): Target {
    return new Target(this.kind, { ...this.attrs, ...attrs });
  }

  toString(): string {
    const parts: string[] = [this.kind];
    for (const k of Object.keys(this.attrs).sort()) {
      const v = this.attrs[k]!;
      parts.push(v === true ? `-${k}` : `-${k}=${v}`);
    }
    return parts.join(" ");
  }
  toJSON(): string {
    return this.toString();
  }
}

function unknownKind(kind: string): TargetError {
  return new TargetError(`unknown target kind "${kind}": expected one of ${TARGET_KINDS.join(", ")}`);
}

function parseValue(s: string): TargetAttrValue {
  if (s === "true") return true;
  if (s === "false") return false;
  if (/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Number(s);
  return s;
}

/** A code generator: lowered module -> runnable module. */
export interface TargetBackend {
  build(mod: IRModule, target: Target): Promise<Module> | Module;
  /** Extra target-specific passes run after the default lowering (optional). */
  readonly extraPasses?: readonly ((mod: IRModule) => IRModule)[];
  /** What the default lowering should know about the target (optional). */
  loweringConfig?(target: Target): LoweringConfig;
}

const registry = new Map<TargetKind, TargetBackend>();

/** Registers (or replaces) the code generator of a target kind. */
export function registerTarget(kind: TargetKind, backend: TargetBackend): void {
  if (!(TARGET_KINDS as readonly string[]).includes(kind)) throw unknownKind(kind);
  registry.set(kind, backend);
}

export function getTargetBackend(kind: TargetKind): TargetBackend | undefined {
  return registry.get(kind);
}

export function registeredTargets(): TargetKind[] {
  return [...registry.keys()];
}
