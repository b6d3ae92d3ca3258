/**
 * ScheduleError: a schedule primitive refused to transform. The message names the primitive
 * and the broken rule, and shows the function as TVMScript with the offending statements marked.
 */
import type { Node } from "../ir/node.js";
import type { PrimFunc } from "../tir/function.js";
import { printScript } from "../tir/script/index.js";

export class ScheduleError extends Error {
  constructor(
    readonly primitive: string,
    readonly rule: string,
    readonly func?: PrimFunc,
    readonly marked: readonly Node[] = [],
    funcName?: string,
  ) {
    let text = `ScheduleError: ${primitive}: ${rule}`;
    if (func) {
      let rendered: string;
      try {
        rendered = printScript(func, { highlight: marked, name: funcName });
      } catch {
        rendered = "(the function could not be printed)";
      }
      text += `\nThe function (offending statements marked with ^):\n${rendered}`;
    }
    super(text);
    this.name = "ScheduleError";
  }
}
