/**
 * Random variables: what schedule primitives take and return. A BlockRV / LoopRV names a
 * block / loop through the schedule's symbol table (so it survives transformations); an
 * ExprRV holds a sampled integer. Traces refer to them as b0, l1, v2, ...
 */
let counter = 0;

export class BlockRV {
  readonly kind = "BlockRV";
  readonly id = ++counter;
}

export class LoopRV {
  readonly kind = "LoopRV";
  readonly id = ++counter;
}

export class ExprRV {
  readonly kind = "ExprRV";
  readonly id = ++counter;
}

export type RV = BlockRV | LoopRV | ExprRV;

export function isRV(x: unknown): x is RV {
  return x instanceof BlockRV || x instanceof LoopRV || x instanceof ExprRV;
}
