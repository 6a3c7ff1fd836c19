import { createJestConfig } from "@chakra-orm/jest-preset";

export default createJestConfig({
  // Probes the database servers once and tells every worker which exist.
  globalSetup: "<rootDir>/src/global-setup.cjs",
});
