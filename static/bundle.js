// The entry of the page's one-file build, static/dist/page.js (`make setup` runs esbuild on it). The
// page runs that one file instead of its modules (server/pages.py, when the build is newer than
// them): one request instead of twenty, so TF.js is asked for sooner. The modules
// run in the order the unbuilt page runs them: start.js (TF.js) first, then boot.js;
// the engines boot.js imports on demand are in the file too, and run only when imported.
import './js/start.js';
import './js/boot.js';
