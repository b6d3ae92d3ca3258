export type * from "./ast.js";
export { ScriptError, scriptError, formatDiagnostic, sourceLineAt, DEFAULT_FILE, type SourcePos } from "./errors.js";
export { tokenize, KEYWORDS, type Token, type TokenType } from "./tokenizer.js";
export { parsePython } from "./parser.js";
