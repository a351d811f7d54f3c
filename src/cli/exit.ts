// Exit codes shared by every command, and the error that means "the command line is wrong" (exit 2). A module of
// its own so that commands can throw it without importing the runner that imports them.

export const EXIT_OK = 0;
export const EXIT_INVALID_INPUT = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}
