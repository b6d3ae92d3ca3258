/**
 * The converter table: ONNX op type -> function building Relax for one node. Converters
 * register themselves per family (ops_*.ts); the importer checks every node against this table
 * before converting anything, so one error lists every unsupported op of a model.
 */
import type { ConvertResult, NodeView } from "./context.js";

export type Converter = (node: NodeView) => ConvertResult | undefined;

interface Entry {
  readonly convert: Converter;
  /** The first default-domain opset version this converter implements. */
  readonly since: number;
}

const table = new Map<string, Entry>();

export function registerConverter(opType: string, convert: Converter, since = 1): void {
  if (table.has(opType)) throw new Error(`ONNX converter for ${opType} is registered twice`);
  table.set(opType, { convert, since });
}

export function lookupConverter(opType: string): Entry | undefined {
  return table.get(opType);
}

/** The op types weft converts, sorted (for error messages and docs). */
export function supportedOps(): string[] {
  return [...table.keys()].sort();
}
