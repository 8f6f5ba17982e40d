// `npm start`: builds everything, then opens Tack in VS Code with the demo workspace.
import { build } from './build.mjs';
import { isMain, runMain, step } from './lib.mjs';

export async function start() {
  const { vsix } = await build();
  step(`Tack is built: ${vsix}`);
}

if (isMain(import.meta.url)) runMain(start);
