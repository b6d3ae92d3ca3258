/**
 * The VM's builtins (`vm.builtin.*`): allocation, shape matching and checking, shape
 * construction from the shape heap, reshape views, tuples, null values. They are plain
 * functions of register values; the function table refers to them by name, so an
 * executable stays valid across runtime versions that keep the names.
 *
 * Shape checks take an error context (a string the compiler wrote: which function, which
 * parameter, which StructInfo) and add what was actually passed, so a wrong input reads
 * "main: parameter x: expected R.Tensor((n, 784), dtype="float32"), got a float32 tensor of
 * shape (3, 5): dimension 1 is 5, expected 784".
 */
import { dtypeOf } from "../../ir/dtype.js";
import { NDArray, isNDArray, shapeNumel, storageClassOf } from "../ndarray.js";
import { ShapeHeap, ShapeTuple, Storage, VMTuple, describeValue } from "./values.js";

export type Builtin = (...args: unknown[]) => unknown;

export class VMError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VMError";
  }
}

const builtins = new Map<string, Builtin>();

/** Registers a builtin (or replaces it: an application may provide its own packed functions). */
export function registerBuiltin(name: string, fn: Builtin): void {
  builtins.set(name, fn);
}

export function getBuiltin(name: string): Builtin | undefined {
  return builtins.get(name);
}

export function builtinNames(): string[] {
  return [...builtins.keys()].sort();
}

/** match_shape codes per dimension (the same meaning as TVM's MatchShapeCode). */
export const MatchCode = { noOp: 0, assertImm: 1, storeToHeap: 2, assertLoad: 3 } as const;
/** make_shape codes per dimension. */
export const MakeShapeCode = { useImm: 0, loadHeap: 1 } as const;

function num(v: unknown, what: string): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new VMError(`${what}: expected a number, got ${describeValue(v)}`);
}

function heapOf(v: unknown, what: string): ShapeHeap {
  if (v instanceof ShapeHeap) return v;
  throw new VMError(`${what}: expected the shape heap, got ${describeValue(v)}`);
}

function dimsOf(v: unknown): readonly number[] | undefined {
  if (isNDArray(v)) return v.shape;
  if (v instanceof ShapeTuple) return v.values;
  return undefined;
}

registerBuiltin("vm.builtin.alloc_shape_heap", (size) => new ShapeHeap(num(size, "alloc_shape_heap")));

registerBuiltin("vm.builtin.check_tensor_info", (x, ndim, dtype, ctx) => {
  if (!isNDArray(x)) throw new VMError(`${ctx}, got ${describeValue(x)}`);
  const n = num(ndim, "check_tensor_info");
  if (n >= 0 && x.ndim !== n) throw new VMError(`${ctx}, got ${describeValue(x)}: ${x.ndim} dimension(s), expected ${n}`);
  if (typeof dtype === "string" && dtype !== "" && dtypeOf(dtype) !== x.dtype) {
    throw new VMError(`${ctx}, got ${describeValue(x)}: dtype ${x.dtype}, expected ${dtype}`);
  }
});

registerBuiltin("vm.builtin.check_shape_info", (x, ndim, ctx) => {
  if (!(x instanceof ShapeTuple)) throw new VMError(`${ctx}, got ${describeValue(x)}`);
  const n = num(ndim, "check_shape_info");
  if (n >= 0 && x.ndim !== n) throw new VMError(`${ctx}, got ${describeValue(x)}: ${x.ndim} dimension(s), expected ${n}`);
});

registerBuiltin("vm.builtin.check_prim_value_info", (x, dtype, ctx) => {
  if (typeof x !== "number" && typeof x !== "boolean") throw new VMError(`${ctx}, got ${describeValue(x)}`);
  const t = typeof dtype === "string" && dtype !== "" ? dtypeOf(dtype) : undefined;
  if (t && t.isInt() && typeof x === "number" && !Number.isInteger(x)) throw new VMError(`${ctx}, got ${describeValue(x)}: not an integer`);
});

registerBuiltin("vm.builtin.check_tuple_info", (x, size, ctx) => {
  const n = num(size, "check_tuple_info");
  const len = x instanceof VMTuple ? x.length : Array.isArray(x) ? x.length : -1;
  if (len < 0) throw new VMError(`${ctx}, got ${describeValue(x)}`);
  if (len !== n) throw new VMError(`${ctx}, got a tuple of ${len} field(s), expected ${n}`);
});

/**
 * match_shape(value, heap, ndim, code0, v0, code1, v1, ..., ctx): checks (or records) every
 * dimension of a tensor's shape or a shape value against the heap.
 */
registerBuiltin("vm.builtin.match_shape", (...args) => {
  const [x, h, ndimV] = args;
  const ctx = String(args[args.length - 1]);
  const heap = heapOf(h, "match_shape");
  const ndim = num(ndimV, "match_shape");
  const dims = dimsOf(x);
  if (!dims) throw new VMError(`${ctx}, got ${describeValue(x)}`);
  if (dims.length !== ndim) throw new VMError(`${ctx}, got ${describeValue(x)}: ${dims.length} dimension(s), expected ${ndim}`);
  for (let d = 0; d < ndim; d++) {
    const code = args[3 + 2 * d] as number;
    const v = args[4 + 2 * d] as number;
    const actual = dims[d]!;
    if (code === MatchCode.assertImm) {
      if (actual !== v) throw new VMError(`${ctx}, got ${describeValue(x)}: dimension ${d} is ${actual}, expected ${v}`);
    } else if (code === MatchCode.storeToHeap) {
      heap.slots[v] = actual;
    } else if (code === MatchCode.assertLoad) {
      const want = heap.slots[v]!;
      if (actual !== want) throw new VMError(`${ctx}, got ${describeValue(x)}: dimension ${d} is ${actual}, expected ${want} (bound earlier)`);
    }
  }
});

/** match_prim_value(x, heap, code, v, ctx): an integer scalar against a heap slot or constant. */
registerBuiltin("vm.builtin.match_prim_value", (x, h, code, v, ctx) => {
  const heap = heapOf(h, "match_prim_value");
  const actual = typeof x === "boolean" ? (x ? 1 : 0) : x;
  if (typeof actual !== "number") throw new VMError(`${ctx}, got ${describeValue(x)}`);
  if (code === MatchCode.assertImm && actual !== v) throw new VMError(`${ctx}, got ${actual}, expected ${v}`);
  if (code === MatchCode.storeToHeap) heap.slots[v as number] = actual;
  if (code === MatchCode.assertLoad && actual !== heap.slots[v as number]) {
    throw new VMError(`${ctx}, got ${actual}, expected ${heap.slots[v as number]} (bound earlier)`);
  }
});

/** eval_heap(heap, program): a scalar computed from the heap (a symbolic R.prim_value). */
registerBuiltin("vm.builtin.eval_heap", (h, program) => evalHeapProgram(String(program), heapOf(h, "eval_heap").slots));

/** make_shape(heap, ndim, code0, v0, ...): a shape from immediates and heap slots. */
registerBuiltin("vm.builtin.make_shape", (...args) => {
  const heap = heapOf(args[0], "make_shape");
  const ndim = num(args[1], "make_shape");
  const out = new Array<number>(ndim);
  for (let d = 0; d < ndim; d++) {
    const code = args[2 + 2 * d] as number;
    const v = args[3 + 2 * d] as number;
    out[d] = code === MakeShapeCode.loadHeap ? heap.slots[v]! : v;
  }
  return new ShapeTuple(out);
});

/**
 * A postfix program over heap slots: tokens are integers, `hK` (slot K) and operators
 * (+ - * / % min max == != < <= > >= && || !), with floor division and modulo as in TIR's
 * floordiv/floormod. The compiler writes it; the runtime evaluates it without knowing PrimExprs.
 */
export function evalHeapProgram(program: string, slots: Float64Array): number {
  const st: number[] = [];
  const pop = () => {
    const v = st.pop();
    if (v === undefined) throw new VMError(`shape program "${program}": stack underflow`);
    return v;
  };
  for (const tok of program.trim().split(/\s+/)) {
    if (/^-?\d+$/.test(tok)) st.push(Number(tok));
    else if (tok[0] === "h") st.push(slots[Number(tok.slice(1))]!);
    else if (tok === "!") st.push(pop() ? 0 : 1);
    else {
      const b = pop(), a = pop();
      switch (tok) {
        case "+": st.push(a + b); break;
        case "-": st.push(a - b); break;
        case "*": st.push(a * b); break;
        case "/": st.push(Math.floor(a / b)); break;
        case "%": st.push(a - Math.floor(a / b) * b); break;
        case "min": st.push(Math.min(a, b)); break;
        case "max": st.push(Math.max(a, b)); break;
        case "==": st.push(a === b ? 1 : 0); break;
        case "!=": st.push(a !== b ? 1 : 0); break;
        case "<": st.push(a < b ? 1 : 0); break;
        case "<=": st.push(a <= b ? 1 : 0); break;
        case ">": st.push(a > b ? 1 : 0); break;
        case ">=": st.push(a >= b ? 1 : 0); break;
        case "&&": st.push(a && b ? 1 : 0); break;
        case "||": st.push(a || b ? 1 : 0); break;
        default: throw new VMError(`shape program "${program}": unknown token "${tok}"`);
      }
    }
  }
  if (st.length !== 1) throw new VMError(`shape program "${program}": leaves ${st.length} values`);
  return st[0]!;
}

/** compute_heap(heap, dst, program): heap[dst] = program (a dimension computed from others). */
registerBuiltin("vm.builtin.compute_heap", (h, dst, program) => {
  const heap = heapOf(h, "compute_heap");
  heap.slots[num(dst, "compute_heap")] = evalHeapProgram(String(program), heap.slots);
});

/** check_heap(heap, program, message): a runtime check the compiler could not prove. */
registerBuiltin("vm.builtin.check_heap", (h, program, message) => {
  const heap = heapOf(h, "check_heap");
  if (!evalHeapProgram(String(program), heap.slots)) throw new VMError(String(message));
});

function shapeArg(v: unknown, what: string): readonly number[] {
  if (v instanceof ShapeTuple) return v.values;
  throw new VMError(`${what}: expected a shape, got ${describeValue(v)}`);
}

/** Bytes one element of `dtype` takes in its NDArray storage (float16 lives in 4 bytes). */
export function storageBytesPerElement(dtype: string): number {
  const t = dtypeOf(dtype);
  return storageClassOf(t).BYTES_PER_ELEMENT * t.lanes;
}

/** Where allocating builtins place their tensors: a fresh ArrayBuffer, or a device's memory. */
export type Allocate = (bytes: number) => { buffer: ArrayBufferLike; byteOffset: number };

/**
 * The builtins that allocate (alloc_storage, alloc_tensor's storage, empty), made over an
 * allocation function; the registered ones use fresh ArrayBuffers, a VM whose kernels read a
 * device memory in place makes its own over that memory.
 */
export function allocationBuiltins(alloc?: Allocate): Record<string, Builtin> {
  return {
    "vm.builtin.alloc_storage": (size) => {
      const bytes = shapeArg(size, "alloc_storage");
      if (bytes.length !== 1) throw new VMError(`alloc_storage: the size must be a 1-d shape of bytes, got (${bytes.join(", ")})`);
      return new Storage(bytes[0]!, alloc);
    },
    /**
     * empty(shape, dtype): a tensor for a kernel to write (allocation per call, when planning
     * could not size it). From `alloc`, its contents are unspecified, as TVM's: the region may
     * hold an earlier call's values, and every kernel writes all of its outputs.
     */
    "vm.builtin.empty": (shape, dtype) => {
      const dims = shapeArg(shape, "empty");
      if (!alloc) return NDArray.empty(dims, String(dtype));
      const r = alloc(Math.max(1, shapeNumel(dims) * storageBytesPerElement(String(dtype))));
      return NDArray.view(r.buffer, r.byteOffset, dims, String(dtype));
    },
  };
}

const defaultAllocation = allocationBuiltins();
for (const [name, fn] of Object.entries(defaultAllocation)) registerBuiltin(name, fn);

/** Whether the builtin registered under `name` is the default allocating one (not replaced by an application). */
export function isDefaultAllocation(name: string): boolean {
  return name in defaultAllocation && getBuiltin(name) === defaultAllocation[name];
}

/** alloc_tensor(storage, offset, shape, dtype): a tensor placed in a storage (planned memory). */
registerBuiltin("vm.builtin.alloc_tensor", (s, offset, shape, dtype) => {
  if (!(s instanceof Storage)) throw new VMError(`alloc_tensor: expected a storage, got ${describeValue(s)}`);
  const dims = shapeArg(shape, "alloc_tensor");
  const off = num(offset, "alloc_tensor");
  const need = off + shapeNumel(dims) * storageBytesPerElement(String(dtype));
  if (need > s.capacity) {
    throw new VMError(`alloc_tensor: a ${dtype} tensor of shape (${dims.join(", ")}) at offset ${off} needs ${need} bytes, the storage has ${s.bytes}`);
  }
  const t = NDArray.view(s.buffer, s.byteOffset + off, dims, String(dtype));
  // Reused storage holds an earlier tensor's values; kernels write every output element, but
  // a fresh tensor must not show stale data to builtins that read before writing.
  t.data.fill(0);
  return t;
});

/** reshape(x, shape): a view of x's data with another shape of the same element count. */
registerBuiltin("vm.builtin.reshape", (x, shape) => {
  if (!isNDArray(x)) throw new VMError(`reshape: expected a tensor, got ${describeValue(x)}`);
  return x.reshape(shapeArg(shape, "reshape"));
});

registerBuiltin("vm.builtin.shape_of", (x) => {
  if (!isNDArray(x)) throw new VMError(`shape_of: expected a tensor, got ${describeValue(x)}`);
  return new ShapeTuple(x.shape);
});

registerBuiltin("vm.builtin.make_tuple", (...fields) => new VMTuple(fields));

registerBuiltin("vm.builtin.tuple_getitem", (t, i) => {
  const k = num(i, "tuple_getitem");
  const fields = t instanceof VMTuple ? t.fields : Array.isArray(t) ? (t as unknown[]) : undefined;
  if (!fields) throw new VMError(`tuple_getitem: expected a tuple, got ${describeValue(t)}`);
  if (k < 0 || k >= fields.length) throw new VMError(`tuple_getitem: index ${k} is out of range for a tuple of ${fields.length}`);
  return fields[k];
});

registerBuiltin("vm.builtin.null_value", () => null);

/** The value of an If condition: a bool/int scalar, or a 0-d (or 1-element) tensor. */
registerBuiltin("vm.builtin.read_if_cond", (c) => {
  if (typeof c === "boolean") return c;
  if (typeof c === "number") return c !== 0;
  if (isNDArray(c)) {
    if (c.numel !== 1) throw new VMError(`If: the condition must be a scalar tensor, got ${describeValue(c)}`);
    return c.data[0] !== 0;
  }
  throw new VMError(`If: the condition must be a bool or a scalar tensor, got ${describeValue(c)}`);
});

/** identity(x): moves a value into a register (If results, returned constants). */
registerBuiltin("vm.builtin.identity", (x) => x);

/**
 * cached_call(f): f() on the first call, the same result afterwards. LiftTransformParams uses
 * it to run a function's constant-only computations (weight packing) once per VM; the VM hands
 * builtins one function value per function and VM, so the cache is per VM, and makes these
 * first calls when it is made (`VirtualMachine.runCachedCalls`).
 */
const callCache = new WeakMap<object, unknown>();
registerBuiltin("vm.builtin.cached_call", (f) => {
  if (typeof f !== "function") throw new VMError(`cached_call: expected a function, got ${describeValue(f)}`);
  if (!callCache.has(f)) callCache.set(f, (f as () => unknown)());
  return callCache.get(f);
});
