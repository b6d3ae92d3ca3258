/**
 * Bindings and binding blocks: the statements of a Relax function body. A VarBinding binds a
 * value to a fresh variable; a MatchCast checks a value against a StructInfo at run time and
 * defines the symbolic variables that StructInfo introduces. A DataflowBlock holds only pure
 * bindings; its DataflowVars are invisible after it.
 */
import { registerNode, type Node } from "../ir/node.js";
import { nodeToString } from "../ir/expr.js";
import type { Expr, Var } from "./expr.js";
import type { StructInfo } from "./struct_info.js";

export class VarBinding implements Node {
  readonly kind = "relax.VarBinding";
  constructor(
    readonly variable: Var,
    readonly value: Expr,
  ) {}
  toString(): string {
    return nodeToString(this);
  }
}

export class MatchCast implements Node {
  readonly kind = "relax.MatchCast";
  constructor(
    readonly variable: Var,
    readonly value: Expr,
    readonly structInfo: StructInfo,
  ) {}
  toString(): string {
    return nodeToString(this);
  }
}

export type Binding = VarBinding | MatchCast;

export class BindingBlock implements Node {
  readonly kind: "relax.BindingBlock" | "relax.DataflowBlock" = "relax.BindingBlock";
  constructor(readonly bindings: readonly Binding[]) {}
  get isDataflow(): boolean {
    return this.kind === "relax.DataflowBlock";
  }
  toString(): string {
    return nodeToString(this);
  }
}

export class DataflowBlock extends BindingBlock {
  override readonly kind = "relax.DataflowBlock";
}

// Values first, then the definition: a binding's value may not use its own variable.
registerNode("relax.VarBinding", { value: "node", variable: "def" });
registerNode("relax.MatchCast", { value: "node", structInfo: "defnode", variable: "def" });
registerNode("relax.BindingBlock", { bindings: "nodes" });
registerNode("relax.DataflowBlock", { bindings: "nodes" });
