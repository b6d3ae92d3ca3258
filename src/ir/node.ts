/**
 * The field table every IR node kind registers: which fields hold child nodes, which define
 * variables (so structural equality can compare bound variables by position), and which are
 * plain values. Structural equality and hashing walk nodes through this table, so a new node
 * kind only has to register its fields once.
 */
export type FieldKind =
  /** a child node (or undefined) */
  | "node"
  /** an array of child nodes */
  | "nodes"
  /** a Var (or Buffer) the node defines; compared by binding position */
  | "def"
  /** an array of definitions */
  | "defs"
  /**
   * a child node whose variables not yet bound are definitions at their first occurrence
   * (Relax: the StructInfo of a parameter or of a match_cast defines its symbolic shape vars)
   */
  | "defnode"
  /** a primitive compared with Object.is (strings, numbers, booleans, dtypes) */
  | "value"
  /** an annotation / attribute map (string keys; values are primitives, nodes or arrays) */
  | "attrs"
  /** a Map whose keys are uses and whose values are definitions (PrimFunc.bufferMap) */
  | "defmap"
  /** ignored by structural equality (name hints, spans) */
  | "ignore";

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
}

export interface Node {
  readonly kind: string;
}

const registry = new Map<string, readonly FieldSpec[]>();
const varKinds = new Set<string>(["Var", "SizeVar"]);

export interface RegisterOptions {
  /** Nodes of this kind are variables: compared by binding position, not by their fields. */
  isVar?: boolean;
}

export function registerNode(kind: string, fields: Record<string, FieldKind>, opts: RegisterOptions = {}): void {
  if (opts.isVar) varKinds.add(kind);
  registry.set(
    kind,
    Object.entries(fields).map(([name, k]) => ({ name, kind: k })),
  );
}

export function nodeFields(kind: string): readonly FieldSpec[] {
  const f = registry.get(kind);
  if (!f) throw new Error(`internal: node kind "${kind}" has no registered fields`);
  return f;
}

export function isNode(x: unknown): x is Node {
  return typeof x === "object" && x !== null && typeof (x as Node).kind === "string" && registry.has((x as Node).kind);
}

/** Whether nodes of `kind` are variables (TIR Var / SizeVar, Relax Var / DataflowVar). */
export function isVarKind(kind: string): boolean {
  return varKinds.has(kind);
}
