/**
 * VirtualMachine: runs an Executable's bytecode. The function table is resolved once, when
 * the VM is made: kernels from the device modules (the runtime Modules `build` returns),
 * builtins from the builtin registry, VM functions from the executable. A call then only
 * indexes arrays.
 *
 * Values cross the boundary as they are (NDArrays, numbers, shapes); a JS array passed to
 * `invoke` is a tuple, and a tuple result comes back as a JS array.
 *
 * Device memory: when a device module has memory its kernels read in place (wasm's linear
 * memory, `Module.deviceMemory`), the VM keeps its tensors there: constants are copied in once,
 * when the VM is made; allocations (storages, `empty`) come from it; an invoke copies the
 * caller's arrays in once, and copies the arrays of its result out into fresh NDArrays, so what
 * the caller gets stays valid. Everything an invoke allocated is released when it returns (the
 * kill instructions only drop registers; the memory is reused by the next invoke).
 */
import { NDArray, isNDArray } from "../ndarray.js";
import type { DeviceMemory, Module, PackedFunc, ArgValue } from "../module.js";
import { VOID_REGISTER, type InstrArg, type VMFunctionInfo } from "./bytecode.js";
import { VMError, allocationBuiltins, getBuiltin, builtinNames, isDefaultAllocation, type Builtin } from "./builtins.js";
import type { Executable } from "./executable.js";
import { ShapeTuple, VMTuple } from "./values.js";

type Callable = (args: unknown[]) => unknown;

/** Time spent in one function of the table while profiling (`VirtualMachine.setProfiling`). */
export interface ProfileEntry {
  readonly name: string;
  readonly kind: VMFunctionInfo["kind"];
  calls: number;
  /** Milliseconds, including callees for VM functions. */
  totalMs: number;
}

export class VirtualMachine {
  private table: Callable[];
  private readonly plain: Callable[];
  private readonly timings = new Map<number, ProfileEntry>();
  private readonly funcValues: ((...xs: unknown[]) => unknown)[] = [];
  private readonly constants: readonly unknown[];
  private readonly modules: readonly Module[];
  /** Where tensors live when a kernel module reads its memory in place (else JS memory). */
  readonly memory: DeviceMemory | undefined;
  private readonly deviceBuiltins: Record<string, Builtin>;
  /** Without a device memory: the JS buffers of allocations, reused across invokes. */
  private readonly pool = new BufferPool();

  constructor(
    readonly exec: Executable,
    modules: Module | readonly Module[] = [],
  ) {
    this.modules = Array.isArray(modules) ? (modules as readonly Module[]) : [modules as Module];
    this.memory = this.modules.map((m) => m.deviceMemory?.()).find((m) => m !== undefined);
    const mem = this.memory;
    this.deviceBuiltins = allocationBuiltins(mem ? (bytes) => mem.alloc(bytes) : (bytes) => this.pool.alloc(bytes));
    // Constants stay for the VM's lifetime: allocated before any invoke's mark.
    this.constants = mem ? exec.constants.map((c) => (isNDArray(c) ? this.toDevice(c, mem) : c)) : exec.constants;
    this.plain = exec.functions.map((f, i) => this.resolve(f, i));
    this.table = this.plain;
    this.runCachedCalls();
  }

  /**
   * Runs the functions the bytecode calls through `vm.builtin.cached_call` (LiftTransformParams'
   * constant-only work, such as weight packing) now, once: later calls get the cached arrays, and
   * with a device memory they are allocated before any invoke's mark, so they persist.
   */
  private runCachedCalls(): void {
    const cached = this.exec.functions.findIndex((f) => f.kind === "builtin" && f.name === "vm.builtin.cached_call");
    if (cached < 0) return;
    for (const f of this.exec.functions) {
      for (const ins of f.code ?? []) {
        if (ins.op === "call" && ins.func === cached && ins.args[0]?.k === "func") this.table[cached]!([this.arg(ins.args[0], [])]);
      }
    }
  }

  /**
   * Turns per-function timing on or off (on clears earlier timings). Kernels run synchronously,
   * so the wall time around a call is the kernel's time.
   */
  setProfiling(on: boolean): void {
    this.timings.clear();
    if (!on) {
      this.table = this.plain;
      return;
    }
    this.table = this.plain.map((fn, i) => {
      const f = this.exec.functions[i]!;
      const entry: ProfileEntry = { name: f.name, kind: f.kind, calls: 0, totalMs: 0 };
      return (args: unknown[]) => {
        const t0 = performance.now();
        try {
          return fn(args);
        } finally {
          entry.totalMs += performance.now() - t0;
          if (entry.calls++ === 0) this.timings.set(i, entry);
        }
      };
    });
  }

  /** What profiling recorded since `setProfiling(true)`, the most expensive first. */
  profile(): ProfileEntry[] {
    return [...this.timings.values()].sort((a, b) => b.totalMs - a.totalMs).map((e) => ({ ...e }));
  }

  private toDevice(a: NDArray, mem: DeviceMemory): NDArray {
    if (mem.holds(a.data)) return a;
    const r = mem.alloc(Math.max(1, a.data.byteLength));
    return NDArray.view(r.buffer, r.byteOffset, a.shape, a.dtype).copyFrom(a);
  }

  private resolve(f: VMFunctionInfo, index: number): Callable {
    switch (f.kind) {
      case "vm":
        return (args) => this.run(index, args);
      case "builtin": {
        const b = isDefaultAllocation(f.name) ? this.deviceBuiltins[f.name] : getBuiltin(f.name);
        if (!b) throw new VMError(`VM: builtin "${f.name}" is not registered; register the packed function with registerBuiltin(name, fn) before making the VM (registered: ${builtinNames().join(", ")})`);
        return (args) => b(...args);
      }
      case "kernel": {
        const m = this.modules.find((mod) => mod.functionNames().includes(f.name));
        if (!m) {
          const have = this.modules.map((mod) => `${mod.target}: ${mod.functionNames().join(", ")}`).join("; ") || "no modules";
          throw new VMError(`VM: kernel "${f.name}" is in none of the device modules (${have}); pass the modules built for this executable`);
        }
        const pf: PackedFunc = m.get(f.name);
        return (args) => pf(...(spreadShapes(args) as ArgValue[]));
      }
    }
  }

  /** Calls the VM function `name` with the given arguments; returns its result. */
  invoke(name: string, ...args: unknown[]): unknown {
    const index = this.exec.functionIndex(name);
    const f = this.exec.functions[index]!;
    const params = f.params ?? [];
    if (args.length !== params.length) {
      throw new VMError(`${name}: expected ${params.length} argument(s) (${params.join(", ")}), got ${args.length}`);
    }
    const mem = this.memory;
    if (!mem) {
      const mark = this.pool.mark();
      let result: unknown;
      try {
        result = this.table[index]!(args.map(toVM));
      } finally {
        // What the result holds goes to the caller; the rest is reused by the next invoke.
        const kept = new Set<ArrayBufferLike>();
        mapArrays(result, (x) => (kept.add(x.data.buffer), x));
        this.pool.release(mark, kept);
      }
      return fromVM(result);
    }
    const mark = mem.mark();
    try {
      const inputs = args.map((a) => mapArrays(toVM(a), (x) => this.toDevice(x, mem)));
      // Copied out before the release: the result's memory is reused by the next invoke.
      return fromVM(mapArrays(this.table[index]!(inputs), (x) => (mem.holds(x.data) ? NDArray.empty(x.shape, x.dtype).copyFrom(x) : x)));
    } finally {
      mem.release(mark);
    }
  }

  /** The names of the functions `invoke` can call. */
  functionNames(): string[] {
    return this.exec.vmFunctionNames();
  }

  private arg(a: InstrArg, regs: unknown[]): unknown {
    switch (a.k) {
      case "reg":
        return regs[a.i];
      case "imm":
        return a.v;
      case "const":
        return this.constants[a.i];
      case "func":
        // One function value per table entry and VM, so builtins may key caches on it
        // (vm.builtin.cached_call); it calls through the current table (profiling included).
        return (this.funcValues[a.i] ??= (...xs: unknown[]) => this.table[a.i]!(xs));
    }
  }

  private run(index: number, args: unknown[]): unknown {
    const f = this.exec.functions[index]!;
    const code = f.code!;
    const regs = new Array<unknown>(f.numRegs ?? 0);
    for (let i = 0; i < args.length; i++) regs[i] = args[i];
    let pc = 0;
    for (;;) {
      const ins = code[pc]!;
      switch (ins.op) {
        case "call": {
          const n = ins.args.length;
          const xs = new Array<unknown>(n);
          for (let k = 0; k < n; k++) xs[k] = this.arg(ins.args[k]!, regs);
          const r = this.table[ins.func]!(xs);
          if (ins.dst !== VOID_REGISTER) regs[ins.dst] = r;
          pc++;
          break;
        }
        case "ret":
          return regs[ins.reg];
        case "goto":
          pc += ins.offset;
          break;
        case "if": {
          const c = regs[ins.cond];
          pc += c === true || (typeof c === "number" && c !== 0) ? 1 : ins.falseOffset;
          break;
        }
      }
      if (pc >= code.length) throw new VMError(`VM function ${f.name}: ran past its last instruction without a ret`);
    }
  }
}

/** Kernels take the dims of a shape argument (call_tir's tir_vars) as separate integers. */
function spreadShapes(args: unknown[]): unknown[] {
  if (!args.some((a) => a instanceof ShapeTuple)) return args;
  const out: unknown[] = [];
  for (const a of args) {
    if (a instanceof ShapeTuple) out.push(...a.values);
    else out.push(a);
  }
  return out;
}

/** `v` with every NDArray in it (nested in tuples) replaced by `f` of it. */
function mapArrays(v: unknown, f: (a: NDArray) => NDArray): unknown {
  if (isNDArray(v)) return f(v as NDArray);
  if (v instanceof VMTuple) return new VMTuple(v.fields.map((x) => mapArrays(x, f)));
  return v;
}

function toVM(v: unknown): unknown {
  return Array.isArray(v) ? new VMTuple(v.map(toVM)) : v;
}

function fromVM(v: unknown): unknown {
  return v instanceof VMTuple ? v.fields.map(fromVM) : v;
}

/**
 * ArrayBuffers by size for the VM's allocations in JS memory: an invoke's temporaries go back
 * to the pool when it returns and serve the next invoke (fresh buffers cost page faults, which
 * showed as milliseconds per call on models). Buffers allocated outside an invoke (constants'
 * transforms when the VM is made) and those a result holds are never reused.
 */
class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private live: ArrayBuffer[] = [];

  alloc(bytes: number): { buffer: ArrayBuffer; byteOffset: number } {
    const buffer = this.free.get(bytes)?.pop() ?? new ArrayBuffer(bytes);
    this.live.push(buffer);
    return { buffer, byteOffset: 0 };
  }

  mark(): number {
    return this.live.length;
  }

  release(mark: number, keep: ReadonlySet<ArrayBufferLike>): void {
    for (const b of this.live.slice(mark)) {
      if (keep.has(b)) continue;
      const list = this.free.get(b.byteLength);
      if (list) list.push(b);
      else this.free.set(b.byteLength, [b]);
    }
    this.live.length = mark;
  }
}
