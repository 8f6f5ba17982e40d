// Runs the bundled `tack` for commands whose output is text (`tack mcp trust`, `tack mcp list`), with
// the same environment as tests/agent/harness.ts's runTack (which reads stdout as --json events).
import { spawn } from 'node:child_process';
import { API_KEY, type Project } from '../agent/harness';
import { tackCli } from '../lib/paths';

export function runPlain(args: string[], project: Project, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, OPENAI_API_KEY: API_KEY, TACK_HOME: project.home, OPENAI_BASE_URL: undefined, TACK_MODEL: undefined, ...extraEnv };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [tackCli, ...args], { cwd: project.dir, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
