/**
 * Vector expression lowering of the C renderer: GCC/Clang vector-extension arithmetic, memcpy
 * loads of contiguous Ramps, lane-wise min/max and the polynomial exp / log / tanh / erf
 * (`<vt>_min/_max/_exp/_log/_tanh/_erf`, the WEFT_VMINMAX / WEFT_VEXP_F32 / WEFT_VMATH_F32
 * helpers of the prelude), and the lane-by-lane fallback.
 */
import type { Op } from "../../ir/op_registry.js";
import type {
  Broadcast, BufferLoad, Call, Cast, Let, PrimExpr, Ramp, Select, Shuffle, Var,
  BinaryOp, CmpOp, And, Or, Not,
} from "../../ir/expr.js";
import { CodegenError, cScalarType, shortName } from "./c_types.js";
import { asRamp, CExprRenderer, isConst } from "./c_expr.js";
import { narrowFloat } from "./c_float16.js";

/** Vector expressions, on top of the scalar layer. */
export abstract class CVectorRenderer extends CExprRenderer {
  // ---------- vectors ----------
  protected vecExpr(e: PrimExpr): string {
    const t = e.dtype;
    const vt = this.type(t);
    switch (e.kind) {
      case "Var":
        return this.nameOf(e as Var);
      case "Broadcast": {
        const b = e as Broadcast;
        const tv = this.tmpName();
        return `({ ${cScalarType(b.value.dtype)} ${tv} = ${this.scalar(b.value)}; (${vt}){${Array(b.lanes).fill(tv).join(", ")}}; })`;
      }
      case "Ramp": {
        const r = e as Ramp;
        const tb = this.tmpName(), ts = this.tmpName();
        const et = cScalarType(r.base.dtype);
        const lanes = Array.from({ length: r.lanes }, (_, i) => (i === 0 ? tb : `${tb} + ${ts} * ${i}`));
        return `({ ${et} ${tb} = ${this.scalar(r.base)}, ${ts} = ${this.scalar(r.stride)}; (${vt}){${lanes.join(", ")}}; })`;
      }
      case "Add":
      case "Sub":
      case "Mul": {
        const b = e as BinaryOp;
        const op = { Add: "+", Sub: "-", Mul: "*" }[e.kind];
        const r = `(${this.vecExpr(b.a)} ${op} ${this.vecExpr(b.b)})`;
        return narrowFloat(t) ? `${vt}_rnd(${r})` : r;
      }
      case "Div":
        if (t.isFloat()) {
          const r = `(${this.vecExpr((e as BinaryOp).a)} / ${this.vecExpr((e as BinaryOp).b)})`;
          return narrowFloat(t) ? `${vt}_rnd(${r})` : r;
        }
        break;
      case "Cast": {
        const v = (e as Cast).value;
        if (t.element().isBool() || v.dtype.element().isBool()) break;
        if (narrowFloat(t)) {
          // One rounding from float lanes; from integers or doubles lane by lane (rounding from double).
          const from = v.dtype.element();
          if (!(from.isFloat() && (from.bits === 32 || narrowFloat(from)))) break;
          return `${vt}_rnd(__builtin_convertvector(${this.vecExpr(v)}, ${vt}))`;
        }
        return `__builtin_convertvector(${this.vecExpr(v)}, ${vt})`;
      }
      case "EQ":
      case "NE":
      case "LT":
      case "LE":
      case "GT":
      case "GE": {
        const c = e as CmpOp;
        if (c.a.dtype.element().isBool()) break;
        const op = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" }[e.kind];
        return `__builtin_convertvector((${this.vecExpr(c.a)} ${op} ${this.vecExpr(c.b)}), ${vt})`;
      }
      case "Min":
      case "Max": {
        const b = e as BinaryOp;
        if (t.element().isBool()) break;
        return `${vt}_${e.kind === "Min" ? "min" : "max"}(${this.vecExpr(b.a)}, ${this.vecExpr(b.b)})`;
      }
      case "Call": {
        const c = e as Call;
        if (c.op.kind !== "Op" || !(t.element().isFloat() && t.element().bits === 32) || c.args.length !== 1 || c.args[0]!.dtype.lanes !== t.lanes) break;
        const name = (c.op as Op).name.replace(/^tir\./, "");
        if (name === "exp" || name === "log" || name === "tanh" || name === "erf") return `${vt}_${name}(${this.vecExpr(c.args[0]!)})`;
        if (name === "sigmoid") return `({ ${vt} _s = ${vt}_exp(-${this.vecExpr(c.args[0]!)}); 1.0f / (1.0f + _s); })`;
        break;
      }
      case "And":
        return `(${this.vecExpr((e as And).a)} & ${this.vecExpr((e as And).b)})`;
      case "Or":
        return `(${this.vecExpr((e as Or).a)} | ${this.vecExpr((e as Or).b)})`;
      case "BufferLoad": {
        const l = e as BufferLoad;
        if (l.predicate || l.buffer.dtype.lanes !== 1) break;
        const idx = this.flatIndex(l.buffer, l.indices);
        const r = asRamp(idx);
        if (r && isConst(r.stride, 1)) return `${vt}_ld(&${this.dataPtr(l.buffer)}[${this.scalar(r.base)}])`;
        if (r && isConst(r.stride, 0)) {
          const tv = this.tmpName();
          return `({ ${cScalarType(t)} ${tv} = ${this.dataPtr(l.buffer)}[${this.scalar(r.base)}]; (${vt}){${Array(t.lanes).fill(tv).join(", ")}}; })`;
        }
        break;
      }
      case "Let": {
        const l = e as Let;
        const v = this.expr(l.value);
        const n = this.define(l.variable, this.type(l.variable.dtype));
        return `({ ${this.type(l.variable.dtype)} ${n} = ${v}; ${this.vecExpr(l.body)}; })`;
      }
      default:
        break;
    }
    // Everything else is built lane by lane (lazy per lane, so if_then_else guards hold).
    const lanes = Array.from({ length: t.lanes }, (_, l) => this.lane(e, l));
    return `((${vt}){${lanes.join(", ")}})`;
  }

  /** A scalar C expression for lane `l` of the vector expression `e`. */
  protected lane(e: PrimExpr, l: number): string {
    const t = e.dtype;
    if (t.lanes === 1) return this.scalar(e);
    switch (e.kind) {
      case "Ramp": {
        const r = e as Ramp;
        return l === 0 ? this.scalar(r.base) : this.wrap(r.base.dtype, `(${this.scalar(r.base)} + ${this.scalar(r.stride)} * ${this.intImm(r.base.dtype, l)})`);
      }
      case "Broadcast":
        return this.scalar((e as Broadcast).value);
      case "Var":
        return `${this.nameOf(e as Var)}[${l}]`;
      case "Shuffle": {
        const s = e as Shuffle;
        let k = s.indices[l]!;
        for (const v of s.vectors) {
          if (k < v.dtype.lanes) return this.lane(v, k);
          k -= v.dtype.lanes;
        }
        throw new CodegenError("c codegen: Shuffle index out of range");
      }
      case "Cast":
        return this.castScalar(t, this.lane((e as Cast).value, l));
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Mod":
      case "FloorDiv":
      case "FloorMod":
      case "Min":
      case "Max": {
        const b = e as BinaryOp;
        const x = this.lane(b.a, l), y = this.lane(b.b, l);
        const et = t.element();
        const nf = narrowFloat(et);
        if (nf && e.kind !== "Min" && e.kind !== "Max") return this.narrowArith(e.kind, nf, x, y);
        if (e.kind === "Min" || e.kind === "Max") return `weft_${e.kind === "Min" ? "min" : "max"}_${shortName(et)}(${x}, ${y})`;
        if (e.kind === "FloorDiv" || e.kind === "FloorMod") {
          if (et.isFloat()) {
            const fl = et.bits === 32 ? "floorf" : "floor";
            return e.kind === "FloorDiv" ? `${fl}(${x} / ${y})` : `({ ${cScalarType(et)} _a = ${x}, _b = ${y}; _a - ${fl}(_a / _b) * _b; })`;
          }
          return `weft_${e.kind === "FloorDiv" ? "floordiv" : "floormod"}_${shortName(et)}(${x}, ${y})`;
        }
        if (e.kind === "Mod" && et.isFloat()) return `${et.bits === 32 ? "fmodf" : "fmod"}(${x}, ${y})`;
        const op = { Add: "+", Sub: "-", Mul: "*", Div: "/", Mod: "%" }[e.kind];
        return this.wrap(et, `(${x} ${op} ${y})`);
      }
      case "EQ":
      case "NE":
      case "LT":
      case "LE":
      case "GT":
      case "GE": {
        const c = e as CmpOp;
        const op = { EQ: "==", NE: "!=", LT: "<", LE: "<=", GT: ">", GE: ">=" }[e.kind];
        return `(${this.lane(c.a, l)} ${op} ${this.lane(c.b, l)})`;
      }
      case "And":
        return `(${this.lane((e as And).a, l)} && ${this.lane((e as And).b, l)})`;
      case "Or":
        return `(${this.lane((e as Or).a, l)} || ${this.lane((e as Or).b, l)})`;
      case "Not":
        return `(!${this.lane((e as Not).a, l)})`;
      case "Select": {
        const s = e as Select;
        return `(${this.lane(s.condition, l)} ? ${this.lane(s.trueValue, l)} : ${this.lane(s.falseValue, l)})`;
      }
      case "BufferLoad": {
        const b = e as BufferLoad;
        if (b.buffer.dtype.lanes !== 1) break;
        const load = `${this.dataPtr(b.buffer)}[${this.lane(this.flatIndex(b.buffer, b.indices), l)}]`;
        return b.predicate ? `(${this.lane(b.predicate, l)} ? ${load} : (${cScalarType(t)})0)` : load;
      }
      case "Call":
        return this.narrowCall(t, this.call(e as Call, (x) => this.lane(x, l)));
      default:
        break;
    }
    return `(${this.vecExpr(e)})[${l}]`;
  }
}
