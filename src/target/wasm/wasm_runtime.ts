/**
 * The `wasm` target's runtime module: one WebAssembly instance over one `WebAssembly.Memory`
 * (shared when the engine allows it, so that arrays viewing it survive memory growth; plain
 * otherwise, e.g. in a browser page that is not cross-origin isolated).
 *
 * Memory layout: [0, guard) unused | static temporaries of the kernels | arrays made by
 * `module.empty()` (bump allocated, never freed) | per-call scratch (copies of arguments that
 * live outside the memory, then dynamically sized temporaries, from the `sp` the kernel gets).
 *
 * A call checks its arguments with the runtime's ArgChecker, passes the byte address of every
 * array that already lives in this module's memory (zero copy: `module.empty`), copies other
 * arrays in (byte for byte: the memory holds each dtype in its NDArray storage class), runs the
 * export, and copies back the arrays the function writes. With a shared memory, parallel loops
 * run on a pool of worker threads over the same memory (wasm_threads.ts; `-num-cores=N`, default
 * the machine's parallelism); with a plain one they run serially. Only standard WebAssembly,
 * typed-array and Atomics APIs are used here (no binaryen, no TensorIR): module_wasm.ts builds
 * modules with the code generator, load_wasm.ts loads saved binaries, in browsers too.
 */
import type { DataType } from "../../ir/dtype.js";
import { dtypeOf, float32, type DTypeLike } from "../../ir/dtype.js";
import {
  ArgChecker, ArgumentError, FunctionModule, type ArgValue, type ArrayArg, type DeviceMemory, type FuncSignature, type ModuleArtifact, type PackedFunc,
} from "../../runtime/module.js";
import { NDArray, shapeNumel, storageClassOf } from "../../runtime/ndarray.js";
import { WasmThreadPool } from "./wasm_threads.js";
import { WASM_ALIGN, reprOf } from "./wasm_repr.js";

/** What the module loader needs to know about one exported function. */
export interface WasmFunctionInfo {
  readonly name: string;
  readonly exportName: string;
  /** Per PrimFunc parameter: a buffer (its dtype) or a scalar (its representation). */
  readonly params: readonly ({ kind: "buffer"; dtype: DataType; written: boolean } | { kind: "scalar"; dtype: DataType })[];
  /** Extra trailing arguments: symbol slots (of the ArgChecker) and their dtypes. */
  readonly symParams: readonly { sym: number; dtype: DataType }[];
  /** dtype of the value T.ret returns, if the function returns one. */
  readonly result?: DataType;
}

export interface WasmModuleArtifact {
  readonly binary: Uint8Array;
  readonly functions: readonly WasmFunctionInfo[];
  /** JavaScript functions the module imports (module name "weft"). */
  readonly imports: Record<string, (...a: number[]) => number>;
  /** The recipe of every import (src/target/kernel_imports.ts). */
  readonly importRecipes: Record<string, string>;
  /** Messages of failed asserts, by index (imported `assert_fail(i)` throws the message). */
  readonly messages: readonly string[];
  readonly staticEnd: number;
  readonly shared: boolean;
  /** Address of the control block of parallel loops (wasm_parallel.ts), when the module has any. */
  readonly ctl?: number;
  /** Memory pages the binary declares as its maximum. */
  readonly maxPages: number;
  /** The optimized module as text (on request). */
  readonly text?: string;
  /** Loaded from the disk cache (wasm_cache.ts) instead of generated. */
  readonly fromCache?: boolean;
  /** The binary uses relaxed-SIMD instructions (it loads only where the engine has them). */
  readonly relaxedSimd?: boolean;
}


/** Makes a module's saved form (load_wasm.ts), given its functions' signatures. */
export type WasmArtifactExporter = (module: WasmModule, signatures: readonly FuncSignature[]) => Promise<ModuleArtifact | undefined>;

const PAGE = 65536;
const alignUp = (n: number): number => Math.ceil(n / WASM_ALIGN) * WASM_ALIGN;

let sharedOk: boolean | undefined;
/** Whether this engine can make a shared WebAssembly.Memory (Node; cross-origin-isolated pages). */
export function sharedMemorySupported(): boolean {
  if (sharedOk === undefined) {
    try {
      const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
      sharedOk = typeof SharedArrayBuffer !== "undefined" && mem.buffer instanceof SharedArrayBuffer;
    } catch {
      sharedOk = false;
    }
  }
  return sharedOk;
}

/** Terminates a module's workers when the module is garbage collected. */
const poolReaper = new FinalizationRegistry<WasmThreadPool>((pool) => pool.terminate());

/** Threads for parallel loops when the target does not say: the machine's parallelism. */
export async function defaultThreads(): Promise<number> {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; process?: { versions?: { node?: string } } };
  if (g.navigator?.hardwareConcurrency) return g.navigator.hardwareConcurrency;
  if (g.process?.versions?.node) return (await import("node:os")).availableParallelism();
  return 1;
}

export class WasmModule extends FunctionModule {
  readonly memory: WebAssembly.Memory;
  private readonly instance: WebAssembly.Instance;
  /** End of the arrays made by empty(); per-call scratch starts here. */
  private heapEnd: number;
  /** Every ArrayBuffer object that has been this memory's buffer (shared memories make a new one on growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private text: string | undefined;
  /** Worker threads for parallel loops (none when the module has none, or runs on one thread). */
  private pool: WasmThreadPool | undefined;
  /** Arrays (and their bytes) that calls copied in because they lived outside the memory. */
  readonly copies = { arrays: 0, bytes: 0 };
  private devMem: DeviceMemory | undefined;
  /** The argument signature of every function added, in order. */
  private readonly signatures: FuncSignature[] = [];
  /** Set by whoever made the module from something it can save (module_wasm.ts). */
  exporter: WasmArtifactExporter | undefined;

  private constructor(
    target: string,
    readonly artifact: WasmModuleArtifact,
    memory: WebAssembly.Memory,
    instance: WebAssembly.Instance,
    pool: WasmThreadPool | undefined,
  ) {
    super(target, []);
    this.memory = memory;
    this.instance = instance;
    this.pool = pool;
    if (pool) poolReaper.register(this, pool);
    this.buffers.add(this.memory.buffer);
    this.heapEnd = alignUp(artifact.staticEnd);
    this.text = artifact.text;
  }

  /**
   * Instantiates an artifact. Compilation is asynchronous (WebAssembly.instantiate): browsers
   * refuse synchronous compilation of large modules on the main thread.
   */
  static async instantiate(target: string, artifact: WasmModuleArtifact, threads = 1): Promise<WasmModule> {
    const initial = Math.max(1, Math.ceil((artifact.staticEnd + PAGE) / PAGE));
    const memory = new WebAssembly.Memory({ initial, maximum: artifact.maxPages, ...(artifact.shared ? { shared: true } : {}) } as WebAssembly.MemoryDescriptor);
    const messages = artifact.messages;
    const weft: Record<string, unknown> = {
      ...artifact.imports,
      assert_fail: (i: number) => {
        throw new Error(messages[i] ?? `assertion ${i} failed`);
      },
    };
    const { module, instance } = await WebAssembly.instantiate(artifact.binary as Uint8Array<ArrayBuffer>, { env: { memory }, weft } as WebAssembly.Imports);
    const pool = artifact.ctl !== undefined && threads > 1 ? await WasmThreadPool.start(module, memory, artifact.ctl, threads) : undefined;
    return new WasmModule(target, artifact, memory, instance, pool);
  }

  /** Threads that parallel loops use (at most the pool's size, fixed at build by -num-cores). */
  get numThreads(): number {
    return this.pool?.threads ?? 1;
  }

  setNumThreads(n: number): void {
    this.pool?.setThreads(n);
  }

  /** Stops the worker threads (the module's functions then run parallel loops on one thread). */
  dispose(): void {
    this.pool?.setThreads(1);
    this.pool?.terminate();
    if (this.pool) poolReaper.unregister(this);
    this.pool = undefined;
  }

  /** Grows the memory so that [0, bytes) is addressable. */
  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE);
    if (have / PAGE + pages > this.artifact.maxPages) {
      throw new RangeError(`wasm module: needs ${bytes} bytes of memory, more than its maximum of ${this.artifact.maxPages * PAGE}`);
    }
    this.memory.grow(pages);
    this.buffers.add(this.memory.buffer);
  }

  /** The current buffer of the memory (re-read after growth). */
  private buf(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /**
   * A zero-filled NDArray whose data lives in this module's memory: calls use it in place
   * (nothing is copied). It stays valid for the module's lifetime with a shared memory; with a
   * plain memory, growth (a later `empty`, or a call needing scratch space) detaches it.
   */
  empty(shape: readonly number[], dtype: DTypeLike = float32): NDArray {
    const t = dtypeOf(dtype);
    const bytes = shapeNumel(shape) * t.lanes * storageClassOf(t).BYTES_PER_ELEMENT;
    const at = this.heapEnd;
    this.ensure(at + bytes);
    this.heapEnd = alignUp(at + Math.max(bytes, 1));
    const a = NDArray.view(this.buf(), at, shape, t);
    a.data.fill(0);
    return a;
  }

  /**
   * The memory as a VM's tensor memory (runtime/vm: constants, storages and results of `empty`
   * live there, so calls copy nothing). Only for a shared memory: views of it stay valid when it
   * grows, while growth detaches every view of a plain memory (there, the VM keeps its tensors in
   * JS memory and calls copy them).
   */
  deviceMemory(): DeviceMemory | undefined {
    if (typeof SharedArrayBuffer === "undefined" || !(this.memory.buffer instanceof SharedArrayBuffer)) return undefined;
    this.devMem ??= {
      alloc: (bytes) => {
        const at = this.heapEnd;
        this.ensure(at + bytes);
        this.heapEnd = alignUp(at + Math.max(bytes, 1));
        return { buffer: this.buf(), byteOffset: at };
      },
      mark: () => this.heapEnd,
      release: (mark) => {
        if (mark < alignUp(this.artifact.staticEnd) || mark > this.heapEnd) throw new RangeError(`wasm module: release(${mark}) is outside the allocated heap`);
        this.heapEnd = mark;
      },
      holds: (data) => this.inMemory({ data }),
    };
    return this.devMem;
  }

  /** Whether `a`'s data is a view of this module's memory. */
  inMemory(a: { data: ArrayLike<unknown> }): boolean {
    const d = a.data as unknown as ArrayBufferView;
    return ArrayBuffer.isView(d) && this.buffers.has(d.buffer);
  }

  add(name: string, f: PackedFunc, signature?: FuncSignature): void {
    this.funcs.set(name, f);
    if (signature) this.signatures.push(signature);
  }

  /** Adds the function of every artifact entry, checked against its signature (same order). */
  addFunctions(signatures: readonly FuncSignature[]): void {
    if (signatures.length !== this.artifact.functions.length) {
      throw new Error(`wasm module: ${signatures.length} signature(s) for ${this.artifact.functions.length} function(s)`);
    }
    this.artifact.functions.forEach((info, i) => {
      const sig = signatures[i]!;
      if (sig.name !== info.name) throw new Error(`wasm module: function ${i} is ${info.name}, its signature is of ${sig.name}`);
      this.add(info.name, this.makeFunction(info, new ArgChecker(sig)), sig);
    });
  }

  /** The saved form of the module (load_wasm.ts), when it was made by the code generator. */
  async exportArtifact(): Promise<ModuleArtifact | undefined> {
    return this.exporter?.(this, this.signatures);
  }

  /** Makes the PackedFunc of one export. */
  makeFunction(info: WasmFunctionInfo, checker: ArgChecker): PackedFunc {
    const exp = this.instance.exports[info.exportName] as (...a: number[]) => number | undefined;
    const n = info.params.length;
    const callArgs: number[] = new Array<number>(1 + n + info.symParams.length).fill(0);
    const copied: { index: number; at: number; bytes: number }[] = [];
    const syms = checker.syms;
    const scalarConv = info.params.map((p) => (p.kind === "scalar" ? scalarIn(p.dtype) : undefined));
    const symConv = info.symParams.map((s) => symIn(info.name, checker.sig.symbols[s.sym] ?? `#${s.sym}`, s.dtype));
    const resultConv = info.result ? resultOut(info.result) : undefined;
    const packed: PackedFunc = (...args: ArgValue[]) => {
      checker.check(args);
      copied.length = 0;
      let scratch = this.heapEnd;
      for (let i = 0; i < n; i++) {
        const p = info.params[i]!;
        if (p.kind === "scalar") {
          callArgs[1 + i] = scalarConv[i]!(args[i] as number | boolean);
          continue;
        }
        const a = args[i] as ArrayArg;
        const d = a.data as unknown as ArrayBufferView;
        if (this.buffers.has(d.buffer)) {
          if (!this.artifact.shared && d.buffer !== this.memory.buffer) {
            throw new ArgumentError(`${info.name}: argument ${(checker.sig.params[i] as { name: string }).name}: the array was made by module.empty() before the module's (non-shared) memory grew, which detached it; make it again`);
          }
          callArgs[1 + i] = d.byteOffset;
          continue;
        }
        checkStorage(info.name, p.dtype, a);
        const bytes = d.byteLength;
        this.copies.arrays++;
        this.copies.bytes += bytes;
        copied.push({ index: i, at: scratch, bytes });
        callArgs[1 + i] = scratch;
        scratch = alignUp(scratch + Math.max(bytes, 1));
      }
      this.ensure(scratch);
      if (copied.length) {
        const mem = new Uint8Array(this.buf());
        for (const c of copied) {
          const d = (args[c.index] as ArrayArg).data as unknown as ArrayBufferView;
          mem.set(new Uint8Array(d.buffer, d.byteOffset, c.bytes), c.at);
        }
      }
      for (let k = 0; k < info.symParams.length; k++) callArgs[1 + n + k] = symConv[k]!(syms[info.symParams[k]!.sym]!);
      callArgs[0] = scratch;
      let r: number | undefined;
      try {
        r = exp(...callArgs);
      } catch (e) {
        this.pool?.quiesce();
        throw e;
      }
      if (copied.length) {
        const mem = new Uint8Array(this.buf());
        for (const c of copied) {
          const p = info.params[c.index]!;
          if (p.kind !== "buffer" || !p.written) continue;
          const d = (args[c.index] as ArrayArg).data as unknown as ArrayBufferView;
          new Uint8Array(d.buffer, d.byteOffset, c.bytes).set(mem.subarray(c.at, c.at + c.bytes));
        }
      }
      return resultConv ? resultConv(r as number) : undefined;
    };
    Object.defineProperty(packed, "name", { value: info.name });
    return packed;
  }

  /** The optimized module in the WebAssembly text format (all functions are in one module). */
  override getSource(_name?: string): string {
    this.text ??= wasmText(this.artifact.binary);
    return this.text;
  }
}

function wasmText(binary: Uint8Array): string {
  return `;; ${binary.length} bytes of WebAssembly; build with emitText for the text form`;
}

/** The storage class check (the ArgChecker has it too): the bytes are copied as they are. */
function checkStorage(fname: string, dtype: DataType, a: ArrayArg): void {
  const C = storageClassOf(dtype);
  if (!(a.data instanceof C)) {
    throw new ArgumentError(`${fname}: an array of ${dtype} must keep its data in a ${C.name}, got a ${(a.data as object).constructor.name}`);
  }
}

function scalarIn(t: DataType): (v: number | boolean) => number {
  const r = reprOf(t);
  if (r === "i32") return (v) => (typeof v === "boolean" ? (v ? 1 : 0) : v | 0);
  return (v) => (typeof v === "boolean" ? (v ? 1 : 0) : v);
}

/**
 * A symbol's value as the export takes it. int32 symbols (symbolic dims NarrowDataType made
 * int32) are range-checked: wrapping a larger value would make the kernel's bound checks lie.
 */
function symIn(fname: string, sym: string, t: DataType): (v: number) => number {
  if (reprOf(t) !== "i32" || !t.isInt() || t.bits !== 32) return scalarIn(t) as (v: number) => number;
  return (v) => {
    if (!(v >= -2147483648 && v <= 2147483647)) throw new ArgumentError(`${fname}: ${sym} = ${v} does not fit the kernel's int32 index arithmetic (at most 2147483647)`);
    return v | 0;
  };
}

function resultOut(t: DataType): (v: number) => number {
  const e = t.element();
  if (reprOf(e) === "i32" && e.isUInt() && e.bits === 32) return (v) => v >>> 0;
  return (v) => v;
}

