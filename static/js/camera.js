// The webcam, and what went wrong when there is none: each failure becomes a
// message a person can act on.

/**
 * Open a camera into `video`; resolves to its MediaStream when frames flow. Throws Error with a
 * user-facing message.
 * @param {HTMLVideoElement} video
 * @param {{width?: number, height?: number, deviceId?: string}} [options]  deviceId: a camera from
 *   listCameras(); without it, the front camera.
 */
export async function openCamera(video, { width = 640, height = 480, deviceId = '' } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This page cannot use a camera here: browsers only allow cameras on HTTPS or on localhost. '
      + 'Open the app over HTTPS, or analyse a file instead.');
  }
  let stream;
  try {
    const which = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: 'user' };
    stream = await navigator.mediaDevices.getUserMedia({ video: { width, height, ...which }, audio: false });
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
