// The webcam, and what went wrong when there is none: each failure becomes a
// message a person can act on.

/** Open the front camera into `video`; resolves when frames flow. Throws Error with a user-facing message. */
export async function openCamera(video, { width = 640, height = 480 } = {}) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error('This page cannot use a camera here: browsers only allow cameras on HTTPS or on localhost. '
      + 'Open the app over HTTPS, or analyse a file instead.');
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width, height, facingMode: 'user' }, audio: false });
  } catch (err) {
    throw new Error(describeCameraError(err));
  }
  video.srcObject = stream;
  await video.play();
  if (!video.videoWidth) await new Promise((resolve) => video.addEventListener('loadeddata', resolve, { once: true }));
  return stream;
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
