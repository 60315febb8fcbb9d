/**
 * '.ts' when the local stack runs from this repository's sources (under tsx), '.js' when it runs
 * from the construct package's bundles (its ./local entry): the processes it forks (start, the
 * mail server) are then files of the same kind, and only the sources need tsx.
 */
export const moduleExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

export const childExecArgv = moduleExtension === '.ts' ? ['--import', 'tsx'] : [];
