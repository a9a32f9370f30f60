/**
 * `node --require dist/lib/notebook/kitPreload.js <tslab> kernel ...`: the Jupyter kernel that
 * `npm start` registers (lib/jupyter/server.ts) learns the kit's module name before tslab starts, so
 * `import ... from "cv-course-kit"` works in a notebook saved anywhere (lib/notebook/kitModule.ts).
 */
import { installKitModule } from './kitModule';

installKitModule();
