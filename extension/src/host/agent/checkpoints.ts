// Checkpoints for the agent runner: one per turn, recorded by the sidecar right before the turn's
// first change (the first patch applied or reviewed, or the first command that can write), and the
// state the turn left recorded when it ends. See docs/checkpoints.md.
import os from 'node:os';
import path from 'node:path';
import { loadCore } from '../core';
import type { ExecStartParams, SidecarClient } from '../sidecar';

/** `$TACK_HOME/checkpoints` (TACK_HOME defaults to ~/.tack); each workspace has a subdirectory there. */
export function defaultCheckpointsDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const tackHome = env.TACK_HOME && env.TACK_HOME.trim() !== '' ? env.TACK_HOME : path.join(home, '.tack');
  return path.join(tackHome, 'checkpoints');
}

/** The store's cap in bytes from a size in MiB (a setting, an environment variable); undefined when unset or not a positive number. */
export function storeCapBytes(mb: unknown): number | undefined {
  const n = typeof mb === 'string' && mb.trim() !== '' ? Number(mb) : mb;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n * 1024 * 1024);
}

/** Whether a command may change files: the core's known-safe table decides, not a second copy here. */
export function commandMayWrite(params: ExecStartParams, shell: string): boolean {
  if (params.sandbox.mode === 'read-only') return false;
  return !loadCore().isKnownSafeCommand(params.argv, shell);
}

export interface TurnCheckpointsOptions {
  sidecar: SidecarClient;
  /** Absolute: `$TACK_HOME/checkpoints`. */
  storeDir: string;
  /** The workspace root. */
  root: string;
  session: string;
  /** The store's size cap (`tack.checkpoints.maxStoreMB`); the sidecar's default (2 GiB) when unset. */
  maxStoreBytes?: number;
  /** Called with the id once a checkpoint exists, before the change it guards is made. */
  onCreated: (id: string) => void;
  log: (line: string) => void;
}

export class TurnCheckpoints {
  private turn = 0;
  private prompt = '';
  private current: Promise<string | undefined> | undefined;

  constructor(private readonly opts: TurnCheckpointsOptions) {}

  /** A new turn: its first change gets a checkpoint. */
  startTurn(prompt: string): void {
    this.turn += 1;
    this.prompt = prompt;
    this.current = undefined;
  }

  /**
   * Resolves once this turn's checkpoint exists (made on the first call). A checkpoint that cannot be
   * made is logged and the change goes ahead: losing the undo must not stop the work.
   */
  beforeChange(): Promise<string | undefined> {
    this.current ??= this.opts.sidecar
      .checkpoint('create', { storeDir: this.opts.storeDir, root: this.opts.root, session: this.opts.session, turn: this.turn, prompt: this.prompt, ...(this.opts.maxStoreBytes ? { maxStoreBytes: this.opts.maxStoreBytes } : {}) })
      .then(
        (r) => {
          for (const s of r.skipped) this.opts.log(`checkpoint: ${s.path} not recorded (${s.reason})`);
          this.opts.onCreated(r.id);
          return r.id;
        },
        (err: unknown) => {
          this.opts.log(`checkpoint: could not record the workspace: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        },
      );
    return this.current;
  }

  /** Records the workspace as the turn left it (to tell the person's later edits from the agent's). */
  async endTurn(): Promise<void> {
    const pending = this.current;
    if (!pending) return;
    const id = await pending;
    if (id === undefined) return;
    await this.opts.sidecar.checkpoint('finish', { storeDir: this.opts.storeDir, root: this.opts.root, id }).catch((err: unknown) => {
      this.opts.log(`checkpoint: could not record the end of the turn: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
}
