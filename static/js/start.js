// The page's first two steps, run before the rest of its code: ask for the camera (it takes a few
// hundred ms to open, and a person reads the prompt first), and, unless the URL asks for server
// mode, load TF.js. Built into one file (static/bundle.js) they run first in it; unbuilt, as soon
// as this small module arrives instead of after the whole module graph of boot.js, so TF.js's
// scripts run while the page's other modules are still on their way. boot.js takes both over where
// they are: openCamera() takes the camera request, loadTfjs() the load under way.
import { readSettings } from './settings.js';
import { requestCamera } from './camera.js';
import { loadTfjs, preloadTfjs } from './tfjs.js';

requestCamera();
if (readSettings(location.search).mode !== 'server') {
  preloadTfjs(); // the WebAssembly binary too, which loadTfjs() only asks for when the backend starts
  loadTfjs().catch(() => {}); // boot.js loads it again and says what went wrong
}
