export * from "./analyzer.js";
export * from "./int_set.js";
export * from "./linear_facts.js";
export * from "./iter_map.js";
export * from "./const_int_bound.js";
export * from "./modular_set.js";
export * from "./rewrite_simplify.js";
export * from "./rewrite_rules.js";
