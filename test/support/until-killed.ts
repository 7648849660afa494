import { spawn } from 'node:child_process';

/**
 * Runs `script` (TypeScript, with `args`) as its own process until it prints a line "paused" or
 * one starting "done", then SIGKILLs it — whatever it was doing; answers that line.
 */
export async function runUntilKilled(script: string, args: readonly string[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const said = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /^(paused|done.*)$/m.exec(out);
      if (line) resolve(line[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before pausing: ${out}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return said;
}
