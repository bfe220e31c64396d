import type { Command } from 'commander';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Standard input as text (for commands that read it when no file is given). */
  readonly stdin?: () => AsyncIterable<string | Buffer>;
}

/** What a command module receives to register its commands. */
export interface CommandContext {
  readonly program: Command;
  readonly io: CliIo;
  /** Sets the process exit code of this run. */
  readonly setExit: (code: number) => void;
}

/** A command module: `cli/commands/<name>.ts` exports `register`. */
export type RegisterCommands = (ctx: CommandContext) => void;
