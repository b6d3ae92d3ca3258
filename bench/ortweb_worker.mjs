// onnxruntime-web (wasm) runs in its own worker thread per thread count: `env.wasm.numThreads`
// is fixed when the runtime first initializes, so 1 and 2 threads need separate instances.
// Protocol: {type:"setup", id, key, model, inputs} -> {id, ok}, where inputs are [[name, shape]]
// (float32, filled here) or [{name, shape, data}] (the caller's float32 values, so every
// implementation of a model sees the same inputs); {type:"time", id, key, minMs} -> {id, us}.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";

const ort = (await import("onnxruntime-web")).default;
ort.env.wasm.numThreads = workerData.numThreads;
ort.env.logLevel = "error";
const sessions = new Map();

parentPort.on("message", async (msg) => {
  try {
    if (msg.type === "setup") {
      const session = await ort.InferenceSession.create(msg.model, { graphOptimizationLevel: "all" });
      const feeds = {};
      for (const input of msg.inputs) {
        if (!Array.isArray(input)) {
          feeds[input.name] = new ort.Tensor("float32", input.data, input.shape);
          continue;
        }
        const [name, shape] = input;
        const n = shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.37) * 0.5;
        feeds[name] = new ort.Tensor("float32", data, shape);
      }
      await session.run(feeds);
      sessions.set(msg.key, { session, feeds });
      parentPort.postMessage({ id: msg.id, ok: true });
    } else if (msg.type === "time") {
      const { session, feeds } = sessions.get(msg.key);
      let calls = 0;
      const t0 = performance.now();
      let t = t0;
      do {
        await session.run(feeds);
        calls++;
        t = performance.now();
      } while (t - t0 < msg.minMs);
      parentPort.postMessage({ id: msg.id, us: ((t - t0) * 1000) / calls });
    }
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: String(e?.message ?? e) });
  }
});
parentPort.postMessage({ ready: true });
