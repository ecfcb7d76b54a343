// Where the local runtime listens and keeps its files unless told otherwise: shared by the runtime
// and the CLI, whose commands that only call the runtime's API must not load the runtime itself.
export const DEFAULT_PORT = 8787;
export const DEFAULT_DATA_DIR = '.scimitar';
/** The local runtime's one AWS principal: its emulators and its AWS endpoint take this access key. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** The region local clients sign for (the runtime answers whichever region is signed). */
export const LOCAL_REGION = 'us-east-1';
