// Where the local runtime listens and keeps its files unless told otherwise: shared by the runtime
// and the CLI, whose commands that only call the runtime's API must not load the runtime itself.
export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = '.scimitar';
