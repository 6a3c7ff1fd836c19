import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const presetDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(presetDir, "../..");
const packagesDir = path.join(repoRoot, "packages");

// ts-jest compiles each test file on its own (isolatedModules in jest.json),
// to CommonJS, without type checking. The `typecheck` task runs tsc instead.
const tsJestTsconfig = require.resolve("@chakra-orm/tsconfig/jest.json");

/** Shared jest options for every workspace. */
export const baseConfig = {
  testEnvironment: "node",
  testMatch: ["**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  testTimeout: 30_000,
  moduleFileExtensions: ["ts", "tsx", "js", "cjs", "mjs", "json"],
  transform: {
    "^.+\\.tsx?$": [require.resolve("ts-jest"), { tsconfig: tsJestTsconfig }],
  },
  // Tests import the library packages from their TypeScript sources, so no
  // build is needed before `jest`. The last entry strips the `.js` suffix
  // from relative imports written in the Node ESM style.
  moduleNameMapper: {
    "^@chakra-orm/(core|sqlite|postgres|mysql|testing)$": `${packagesDir}/$1/src/index.ts`,
    "^@chakra-orm/(core|sqlite|postgres|mysql|testing)/(.*)$": `${packagesDir}/$1/src/$2`,
    "^(\\.{1,2}/.*)\\.js$": "$1",
  },
};

/**
 * Build a workspace's jest config from the shared options.
 * `overrides` replaces top-level keys, except `moduleNameMapper`, whose
 * entries are merged in front of the shared ones.
 */
export function createJestConfig(overrides = {}) {
  const { moduleNameMapper = {}, ...rest } = overrides;
  return {
    ...baseConfig,
    ...rest,
    moduleNameMapper: { ...moduleNameMapper, ...baseConfig.moduleNameMapper },
  };
}

/**
 * Path of the global setup that probes the database servers; pass it as
 * `globalSetup` in a workspace whose tests need them.
 */
export const databaseGlobalSetup = path.join(presetDir, "global-setup.cjs");

export default createJestConfig;
