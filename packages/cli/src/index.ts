export { defineConfig } from "./config.js";
export type { ChakraConfig } from "./config.js";
export { runCli } from "./cli.js";
export { ExitCode } from "./exit-codes.js";
