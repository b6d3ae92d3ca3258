// A minimal ONNX ModelProto encoder (protobuf wire format by hand) for the single-op models the
// kernels benchmark hands to onnxruntime: MatMul, Conv, Softmax, LayerNormalization. Every tensor
// is a float32 graph input (weights too), so the peers get the same contract as a weft kernel.

class Writer {
  constructor() {
    this.bytes = [];
  }
  varint(v) {
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n;
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      this.bytes.push(b);
    } while (n > 0n);
    return this;
  }
  tag(field, wire) {
    return this.varint((field << 3) | wire);
  }
  int(field, v) {
    return this.tag(field, 0).varint(v);
  }
  float(field, v) {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.bytes.push(...b);
    return this;
  }
  bytesField(field, data) {
    this.tag(field, 2).varint(data.length);
    for (const x of data) this.bytes.push(x);
    return this;
  }
  string(field, s) {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  message(field, w) {
    return this.bytesField(field, w.finish());
  }
  finish() {
    return Uint8Array.from(this.bytes);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT

function valueInfo(name, shape) {
  const dims = new Writer();
  for (const d of shape) dims.message(1, new Writer().int(1, d)); // Dimension.dim_value
  const tensorType = new Writer().int(1, FLOAT).message(2, dims);
  const type = new Writer().message(1, tensorType); // TypeProto.tensor_type
  return new Writer().string(1, name).message(2, type);
}

function attribute(name, value) {
  const w = new Writer().string(1, name);
  if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, 7); // INTS
  } else if (Number.isInteger(value) && typeof value === "number" && !Object.is(value, -0) && value.__float !== true) {
    w.int(3, value).int(20, 2); // INT
  }
  return w;
}

function floatAttribute(name, value) {
  return new Writer().string(1, name).float(2, value).int(20, 1); // FLOAT
}

/**
 * One-node model. `inputs`: [[name, shape]], `output`: [name, shape], attrs: { name: int | int[] },
 * floatAttrs: { name: number }.
 */
export function singleOpModel({ op, inputs, output, attrs = {}, floatAttrs = {}, opset = 17 }) {
  const node = new Writer();
  for (const [name] of inputs) node.string(1, name);
  node.string(2, output[0]).string(3, `${op}_0`).string(4, op);
  for (const [k, v] of Object.entries(attrs)) node.message(5, attribute(k, v));
  for (const [k, v] of Object.entries(floatAttrs)) node.message(5, floatAttribute(k, v));
  const graph = new Writer().message(1, node).string(2, `${op.toLowerCase()}_graph`);
  for (const [name, shape] of inputs) graph.message(11, valueInfo(name, shape));
  graph.message(12, valueInfo(output[0], output[1]));
  const model = new Writer()
    .int(1, 8) // ir_version
    .string(2, "weft-bench")
    .message(7, graph)
    .message(8, new Writer().string(1, "").int(2, opset));
  return model.finish();
}
