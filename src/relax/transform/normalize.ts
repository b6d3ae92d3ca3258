/**
 * Normalize: puts every Relax function in normal form by rebuilding it through a BlockBuilder.
 * Call arguments become leaves (nested calls, Ifs and tuple-producing expressions are bound
 * to fresh vars first), every expression gets its StructInfo from operator inference, a body
 * that is not a SeqExpr becomes one, and adjacent binding blocks of the same kind merge.
 * Bindings that were already normal keep their vars.
 */
import { ExprMutator } from "./mutator.js";
import { relaxFunctionPass, type Pass } from "./pass.js";

export const Normalize: Pass = relaxFunctionPass("Normalize", (fn, name, mod) => new ExprMutator(mod).rewriteFunction(fn, name));
