/**
 * ScheduleKernels(target): applies the default CPU schedules (src/schedule/default) to every
 * PrimFunc of the module, fused kernels included. It runs inside the Relax pipeline, before
 * SplitWeightPacking and LiftTransformParams, which read the schedules' packing stages.
 */
import { applyDefaultSchedule, type TargetLike } from "../../schedule/default/index.js";
import { modulePass, type Pass } from "./pass.js";

export function ScheduleKernels(target: TargetLike | string): Pass {
  return modulePass("ScheduleKernels", (mod) => applyDefaultSchedule(mod, target));
}
