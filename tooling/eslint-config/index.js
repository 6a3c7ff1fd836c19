import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const focusedTestMessage =
  "Focused tests skip the rest of the suite. Remove `.only` before committing.";

const focusedTestProperties = ["describe", "it", "test"].map((object) => ({
  object,
  property: "only",
  message: focusedTestMessage,
}));

/** Rules for every workspace: TypeScript sources, tests and config files. */
export const base = tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/coverage/**",
      "**/node_modules/**",
      "**/.turbo/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.node },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
        },
      ],
      // Type-level ORM code (model and query generics) needs `any` in places
      // where `unknown` breaks inference.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/consistent-type-imports": [
        "error",
        { fixStyle: "inline-type-imports", disallowTypeAnnotations: false },
      ],
      "no-restricted-properties": ["error", ...focusedTestProperties],
      "no-restricted-globals": [
        "error",
        { name: "fdescribe", message: focusedTestMessage },
        { name: "fit", message: focusedTestMessage },
      ],
    },
  },
  {
    files: ["**/*.test.ts", "**/test/**/*.ts"],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    // CommonJS files, such as jest global setups, load modules with require().
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);

/** Rules for published library packages: no console output from `src`. */
export const library = tseslint.config(...base, {
  files: ["src/**/*.ts"],
  ignores: ["src/**/*.test.ts"],
  rules: { "no-console": "error" },
});

/** Rules for @chakra-orm/core, which must not depend on any dialect. */
export const core = tseslint.config(...library, {
  files: ["src/**/*.ts"],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: [
          {
            regex: "^@chakra-orm/(sqlite|postgres|mysql)(/.*)?$",
            message:
              "@chakra-orm/core must not import a dialect package. Move the code to the dialect, or add an interface to core.",
          },
        ],
      },
    ],
  },
});

/** Rules for private workspaces (apps, tests, bench), which may log. */
export const app = base;

export default base;
