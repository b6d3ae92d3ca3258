/**
 * The Relax VM's bytecode: a register machine with four instructions, as in TVM's VM.
 *
 * - Call: calls entry `func` of the function table with `args` and writes the result to `dst`
 *   (`VOID_REGISTER` discards it). An argument is a register, an immediate integer, a constant
 *   pool index or a function table index (a function passed as a value).
 * - Ret: returns the value of a register.
 * - Goto: jumps by a relative offset.
 * - If: reads a register; when it holds true execution continues with the next instruction,
 *   otherwise it jumps by `falseOffset` (relative).
 *
 * Registers are numbered per frame; the first `params.length` registers hold the arguments.
 * Everything here is plain JSON data, so an Executable serializes without a custom encoder.
 */

export const VOID_REGISTER = -1;

export type InstrArg =
  | { readonly k: "reg"; readonly i: number }
  | { readonly k: "imm"; readonly v: number }
  | { readonly k: "const"; readonly i: number }
  | { readonly k: "func"; readonly i: number };

export type Instr =
  | { readonly op: "call"; readonly func: number; readonly args: readonly InstrArg[]; readonly dst: number }
  | { readonly op: "ret"; readonly reg: number }
  | { readonly op: "goto"; readonly offset: number }
  | { readonly op: "if"; readonly cond: number; readonly falseOffset: number };

/**
 * An entry of the function table. "kernel": a compiled PrimFunc looked up by name in the
 * device modules; "builtin": a runtime builtin (vm.builtin.*) looked up in the builtin
 * registry; "vm": a function with bytecode in this executable.
 */
export type FuncKind = "kernel" | "builtin" | "vm";

/**
 * A parameter's expected value: a tensor (dtype; dims as numbers, symbolic names, or null when
 * only the rank is known) or anything else (`text` is its StructInfo as TVMScript).
 */
export type VMParamInfo =
  | { readonly kind: "tensor"; readonly dtype: string; readonly ndim: number; readonly dims: readonly (number | string)[] | null; readonly text: string }
  | { readonly kind: "other"; readonly text: string };

export interface VMFunctionInfo {
  readonly kind: FuncKind;
  readonly name: string;
  /** Parameter names (vm functions): error messages and `invoke` arity use them. */
  readonly params?: readonly string[];
  /** What each parameter must be (vm functions): tools make inputs from it. */
  readonly paramInfo?: readonly VMParamInfo[];
  /** Registers a frame of this function needs (vm functions). */
  readonly numRegs?: number;
  readonly code?: readonly Instr[];
}

export const reg = (i: number): InstrArg => ({ k: "reg", i });
export const imm = (v: number): InstrArg => ({ k: "imm", v });
export const cst = (i: number): InstrArg => ({ k: "const", i });
export const fnArg = (i: number): InstrArg => ({ k: "func", i });

function argText(a: InstrArg, funcs: readonly VMFunctionInfo[]): string {
  switch (a.k) {
    case "reg":
      return `%${a.i}`;
    case "imm":
      return `i${a.v}`;
    case "const":
      return `c[${a.i}]`;
    case "func":
      return `f[${funcs[a.i]?.name ?? a.i}]`;
  }
}

/** A readable listing of one function's bytecode (for debugging and WEFT_DUMP_IR). */
export function disassemble(f: VMFunctionInfo, funcs: readonly VMFunctionInfo[]): string {
  const lines = [`vm.function ${f.name}(${(f.params ?? []).join(", ")}) regs=${f.numRegs ?? 0}`];
  (f.code ?? []).forEach((ins, pc) => {
    let s: string;
    switch (ins.op) {
      case "call": {
        const dst = ins.dst === VOID_REGISTER ? "_" : `%${ins.dst}`;
        s = `${dst} = call ${funcs[ins.func]?.name ?? `#${ins.func}`}(${ins.args.map((a) => argText(a, funcs)).join(", ")})`;
        break;
      }
      case "ret":
        s = `ret %${ins.reg}`;
        break;
      case "goto":
        s = `goto ${pc + ins.offset}`;
        break;
      case "if":
        s = `if %${ins.cond} else goto ${pc + ins.falseOffset}`;
        break;
    }
    lines.push(`  ${String(pc).padStart(3)}: ${s}`);
  });
  return lines.join("\n");
}

/** Checks that every jump lands inside the function and every register is in range. */
export function validateFunction(f: VMFunctionInfo, nfuncs: number, nconsts: number): void {
  const code = f.code ?? [];
  const nregs = f.numRegs ?? 0;
  const bad = (pc: number, msg: string): never => {
    throw new Error(`VM function ${f.name}: instruction ${pc}: ${msg}`);
  };
  const checkReg = (pc: number, r: number) => {
    if (!Number.isInteger(r) || r < 0 || r >= nregs) bad(pc, `register %${r} is outside the frame of ${nregs} register(s)`);
  };
  code.forEach((ins, pc) => {
    switch (ins.op) {
      case "call":
        if (ins.func < 0 || ins.func >= nfuncs) bad(pc, `function index ${ins.func} is outside the table of ${nfuncs}`);
        if (ins.dst !== VOID_REGISTER) checkReg(pc, ins.dst);
        for (const a of ins.args) {
          if (a.k === "reg") checkReg(pc, a.i);
          else if (a.k === "const" && (a.i < 0 || a.i >= nconsts)) bad(pc, `constant index ${a.i} is outside the pool of ${nconsts}`);
          else if (a.k === "func" && (a.i < 0 || a.i >= nfuncs)) bad(pc, `function index ${a.i} is outside the table of ${nfuncs}`);
        }
        break;
      case "ret":
        checkReg(pc, ins.reg);
        break;
      case "goto":
      case "if": {
        const off = ins.op === "goto" ? ins.offset : ins.falseOffset;
        if (ins.op === "if") checkReg(pc, ins.cond);
        const to = pc + off;
        if (off === 0 || to < 0 || to >= code.length) bad(pc, `jump to ${to} leaves the function (${code.length} instructions)`);
        break;
      }
    }
  });
}
