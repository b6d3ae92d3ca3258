/**
 * IRModule: a set of named functions (PrimFuncs now, Relax functions later) that may call each
 * other through GlobalVars. Immutable: `with*` methods return a new module.
 */
import { GlobalVar, nodeToString } from "./expr.js";
import { registerNode, type Node } from "./node.js";

/** Anything an IRModule may hold (PrimFunc, relax Function, ExternFunc). */
export interface BaseFunc extends Node {
  readonly attrs: Readonly<Record<string, unknown>>;
}

export class IRModule implements Node {
  readonly kind = "IRModule";
  /** Global vars in name order, matching `functionList`. */
  readonly globalVars: readonly GlobalVar[];
  readonly functionList: readonly BaseFunc[];

  constructor(
    functions: Iterable<readonly [GlobalVar | string, BaseFunc]> = [],
    readonly attrs: Readonly<Record<string, unknown>> = {},
  ) {
    const entries = [...functions].map(([g, f]) => [typeof g === "string" ? new GlobalVar(g) : g, f] as const);
    entries.sort((x, y) => (x[0].name < y[0].name ? -1 : x[0].name > y[0].name ? 1 : 0));
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]![0].name === entries[i - 1]![0].name) {
        throw new Error(`IRModule: two functions are named "${entries[i]![0].name}"`);
      }
    }
    this.globalVars = entries.map((e) => e[0]);
    this.functionList = entries.map((e) => e[1]);
  }

  static fromFunction(f: BaseFunc, name?: string): IRModule {
    const sym = f.attrs["global_symbol"];
    return new IRModule([[name ?? (typeof sym === "string" ? sym : "main"), f]]);
  }

  get size(): number {
    return this.globalVars.length;
  }

  /** [GlobalVar, function] pairs in name order. */
  *entries(): IterableIterator<[GlobalVar, BaseFunc]> {
    for (let i = 0; i < this.globalVars.length; i++) yield [this.globalVars[i]!, this.functionList[i]!];
  }

  has(name: string): boolean {
    return this.globalVars.some((g) => g.name === name);
  }

  getGlobalVar(name: string): GlobalVar {
    const g = this.globalVars.find((x) => x.name === name);
    if (!g) throw new Error(`IRModule has no function "${name}" (it has: ${this.globalVars.map((x) => x.name).join(", ") || "none"})`);
    return g;
  }

  get(name: string | GlobalVar): BaseFunc {
    const n = typeof name === "string" ? name : name.name;
    const i = this.globalVars.findIndex((x) => x.name === n);
    if (i < 0) throw new Error(`IRModule has no function "${n}" (it has: ${this.globalVars.map((x) => x.name).join(", ") || "none"})`);
    return this.functionList[i]!;
  }

  tryGet(name: string): BaseFunc | undefined {
    const i = this.globalVars.findIndex((x) => x.name === name);
    return i < 0 ? undefined : this.functionList[i];
  }

  /** A new module with `name` bound to `f` (replacing any function of that name). */
  with(name: string | GlobalVar, f: BaseFunc): IRModule {
    const n = typeof name === "string" ? name : name.name;
    const entries: [GlobalVar, BaseFunc][] = [];
    let found = false;
    for (const [g, h] of this.entries()) {
      if (g.name === n) {
        entries.push([g, f]);
        found = true;
      } else entries.push([g, h]);
    }
    if (!found) entries.push([typeof name === "string" ? new GlobalVar(name) : name, f]);
    return new IRModule(entries, this.attrs);
  }

  without(name: string): IRModule {
    return new IRModule([...this.entries()].filter(([g]) => g.name !== name), this.attrs);
  }

  /** Applies `f` to every function; returns this module when nothing changed. */
  map(f: (fn: BaseFunc, name: string) => BaseFunc): IRModule {
    let changed = false;
    const entries = [...this.entries()].map(([g, fn]) => {
      const out = f(fn, g.name);
      if (out !== fn) changed = true;
      return [g, out] as const;
    });
    return changed ? new IRModule(entries, this.attrs) : this;
  }

  toString(): string {
    return nodeToString(this);
  }
}

registerNode("IRModule", { globalVars: "value", functionList: "nodes", attrs: "attrs" });
