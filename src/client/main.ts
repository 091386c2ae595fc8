import { runClient } from './client-program.js';

// The entry point of `docker-dispatch send|validate` (bin/docker-dispatch picks it by the first argument).
process.exitCode = await runClient(process.argv);
