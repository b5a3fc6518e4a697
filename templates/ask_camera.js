// The page's first step, before any of its files arrive: ask for the front camera. A camera takes a
// few hundred ms to start (and a person answers the prompt first), which then pass while the page's
// code, TF.js and the models load. static/js/camera.js takes this request over, with the same
// constraints as its own (tests/browser/test_page_start.py checks they agree). server/pages.py
// inlines this file in the page's <head>; the Content-Security-Policy allows it by its hash.
if (navigator.mediaDevices?.getUserMedia) {
  performance.mark('fer:camera-asked');
  globalThis.ferCameraRequest = navigator.mediaDevices.getUserMedia(
    { video: { width: 640, height: 480, facingMode: 'user' }, audio: false });
  globalThis.ferCameraRequest.catch(() => {}); // openCamera() reports the error
}
