import { createJestConfig } from "@chakra-orm/jest-preset";

export default createJestConfig({
  // Probes the database servers once and tells the tests which exist.
  globalSetup: "<rootDir>/test/global-setup.cjs",
});
