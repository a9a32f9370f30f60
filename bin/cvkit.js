#!/usr/bin/env node
// The kit's command line. The TypeScript sources compile to dist/ (npm run build, run by npm install).
const path = require('path');
const fs = require('fs');
const cli = path.join(__dirname, '..', 'dist', 'lib', 'cli.js');
if (!fs.existsSync(cli)) {
  console.error('cvkit: dist/ is missing. Run `npm run build` (npm install runs it too).');
  process.exit(2);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  });
