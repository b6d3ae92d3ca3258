export * from "./host_array.js";
export * from "./rng.js";
export * from "../../ir/float_format.js";
export { erf as numericErf } from "./math.js";
export { InterpreterError } from "./context.js";
export * from "./interp.js";
