// The page's first module step (the camera was asked for before, by the <head>'s
// templates/ask_camera.js): unless the URL asks for server mode, load TF.js. Built into one file
// (static/bundle.js) this runs first in it; unbuilt, as soon as this small module arrives instead of
// after the whole module graph of boot.js, so TF.js's scripts run while the page's other modules are
// still on their way. boot.js's loadTfjs() takes over the load under way.
import { readSettings } from './settings.js';
import { loadTfjs, preloadTfjs } from './tfjs.js';

if (readSettings(location.search).mode !== 'server') {
  preloadTfjs(); // the WebAssembly binary too, which loadTfjs() only asks for when the backend starts
  loadTfjs().catch(() => {}); // boot.js loads it again and says what went wrong
}
