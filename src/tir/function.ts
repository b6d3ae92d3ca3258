/**
 * PrimFunc: a loop-level function. Parameters are Vars; those that are handles are usually
 * bound to Buffers through `bufferMap`.
 */
import type { DataType } from "../ir/dtype.js";
import type { Buffer } from "../ir/buffer.js";
import { nodeToString, type Var } from "../ir/expr.js";
import type { BaseFunc } from "../ir/module.js";
import { registerNode } from "../ir/node.js";
import type { AttrValue, Stmt } from "./stmt.js";

export class PrimFunc implements BaseFunc {
  readonly kind = "PrimFunc";
  constructor(
    readonly params: readonly Var[],
    readonly body: Stmt,
    readonly bufferMap: ReadonlyMap<Var, Buffer> = new Map(),
    readonly attrs: Readonly<Record<string, AttrValue>> = {},
    /** undefined = returns nothing (the usual case). */
    readonly retType?: DataType,
  ) {
    for (const [v] of bufferMap) {
      if (!params.includes(v)) throw new TypeError(`PrimFunc: buffer_map key ${v.name} is not a parameter`);
    }
  }

  with(changes: Partial<Pick<PrimFunc, "params" | "body" | "bufferMap" | "attrs" | "retType">>): PrimFunc {
    return new PrimFunc(
      changes.params ?? this.params,
      changes.body ?? this.body,
      changes.bufferMap ?? this.bufferMap,
      changes.attrs ?? this.attrs,
      "retType" in changes ? changes.retType : this.retType,
    );
  }

  withBody(body: Stmt): PrimFunc {
    return body === this.body ? this : this.with({ body });
  }

  /** The buffer bound to a parameter, by parameter name or buffer name. */
  buffer(name: string): Buffer | undefined {
    for (const [v, b] of this.bufferMap) if (v.name === name || b.name === name) return b;
    return undefined;
  }

  get name(): string | undefined {
    const s = this.attrs["global_symbol"];
    return typeof s === "string" ? s : undefined;
  }

  toString(): string {
    return nodeToString(this);
  }
}

registerNode("PrimFunc", { params: "defs", bufferMap: "defmap", attrs: "attrs", retType: "value", body: "node" });
