import { core } from "@chakra-orm/eslint-config";

export default core;
