#!/usr/bin/env node
// The `tack` command. The CLI itself is bundled into dist/ by the build.
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('tack: not built yet. Run `npm start` or `npm test` (or `npm run build`) from the repository root.\n');
  process.exit(1);
}
require(cli);
