import { createJestConfig } from "@chakra-orm/jest-preset";

export default createJestConfig({
  globalSetup: "<rootDir>/test/global-setup.ts",
});
