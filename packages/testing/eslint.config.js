import { library } from "@chakra-orm/eslint-config";

export default library;
