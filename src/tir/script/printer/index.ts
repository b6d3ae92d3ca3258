export { printScript, type Dialect, type PrintOptions } from "./print.js";
export { opPrintsDtypeFirst } from "./expr.js";
