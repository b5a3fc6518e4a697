// The webcam, and what went wrong when there is none: each failure becomes a
// message a person can act on.

// The camera's usual frame (most webcams give it at once, and the models need no more).
const FRAME = { width: 640, height: 480 };

// The front camera the page's <head> asked for as it began (templates/ask_camera.js), until
// openCamera() takes it.
let requested = globalThis.ferCameraRequest ?? null;
let asked = requested !== null; // whether the page has asked for a camera yet, either way
delete globalThis.ferCameraRequest; // held here now: nothing else takes it

/** The getUserMedia constraints for a camera (the front one without a deviceId). */
export function constraints({ width = FRAME.width, height = FRAME.height, deviceId = '' } = {}) {
  const which = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'user' };
  return { video: { width, height, ...which }, audio: false };
}

function ask(options) {
  if (!asked) performance.mark('fer:camera-asked'); // the page's start, as boot.js marks its other steps
  asked = true;
  return navigator.mediaDevices.getUserMedia(constraints(options));
}

/** Give up the page's first request, if openCamera() has not taken it: its camera goes off. */
export function dropCameraRequest() {
  requested?.then((stream) => stream.getTracks().forEach((track) => track.stop()), () => {});
  requested = null;
}

/**
 * Open a camera into `video`; resolves to its MediaStream when frames flow. Throws Error with a
 * user-facing message.
 * @param {HTMLVideoElement} video
 * @param {{width?: number, height?: number, deviceId?: string}} [options]  deviceId: a camera from
 *   listCameras(); without it, the front camera (the page's first request, if it is still there).
 */
export async function openCamera(video, options = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This page cannot use a camera here: browsers only allow cameras on HTTPS or on localhost. '
      + 'Open the app over HTTPS, or analyse a file instead.');
  }
  const early = options.deviceId ? null : requested;
  if (early) requested = null; // taken
  else dropCameraRequest(); // another camera asked for: the early one, if any, goes off
  let stream;
  try {
    stream = await (early ?? ask(options));
  } catch (err) {
    throw new Error(describeCameraError(err));
  }
  video.removeAttribute('src'); // a file chosen before would otherwise win over the stream
  video.loop = false;
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
  return stream;
}

/** Stop `stream`'s tracks (the camera light goes off) and detach it from `video`. */
export function closeCamera(video, stream) {
  stream?.getTracks().forEach((track) => track.stop());
  if (video.srcObject === stream) video.srcObject = null;
}

/** The cameras this browser offers ({deviceId, label}); labels are empty until one was allowed. */
export async function listCameras() {
  const devices = await navigator.mediaDevices?.enumerateDevices?.() ?? [];
  return devices.filter((d) => d.kind === 'videoinput');
}

/** A getUserMedia error -> a message that says what happened and what to do. */
export function describeCameraError(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow the camera in the browser\'s site settings and reload, or analyse an image or video file instead.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect one and reload, or analyse an image or video file instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy or could not start (another app may be using it). Close that app and reload, or analyse an image or video file instead.';
    default:
      return `The camera could not start (${err?.name ?? 'error'}: ${err?.message ?? err}). You can analyse an image or video file instead.`;
  }
}
