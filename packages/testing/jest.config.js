import { createJestConfig, databaseGlobalSetup } from "@chakra-orm/jest-preset";

export default createJestConfig({
  // Probes the database servers once and tells the tests which exist.
  globalSetup: databaseGlobalSetup,
});
