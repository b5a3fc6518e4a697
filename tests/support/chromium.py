"""Headless Chromium for the browser tests and the browser benches: Debian's build (never a downloaded
one), its flags, and page init scripts."""
import os
import shutil

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
# The fake camera's device; tests that check a denied permission leave out CAMERA_ALLOWED.
BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--use-fake-device-for-media-stream"]
CAMERA_ALLOWED = "--use-fake-ui-for-media-stream"


def fake_camera_args(video=None, camera=True):
    """Chromium's flags with `video` (a .y4m or .mjpeg file) as the camera; camera=False leaves the
    permission prompt unanswered (so it is denied headless)."""
    args = list(BASE_ARGS)
    if camera:
        args.append(CAMERA_ALLOWED)
    if video:
        args.append(f"--use-file-for-fake-video-capture={video}")
    return args


def claim_hardware_concurrency(n):
    """A page init script: the page sees `n` logical CPUs, so TF.js's WASM backend runs n // 2 threads."""
    return f"Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', {{get: () => {int(n)}}});"


def delay_camera(ms):
    """A page init script: the camera opens `ms` after the page asks for it, as when a person reads
    the permission prompt (the fake camera is granted at once); window.cameraOpenedAt says when."""
    return f"""(() => {{
  const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {{
    await new Promise((resolve) => setTimeout(resolve, {float(ms)}));
    const stream = await open(constraints);
    window.cameraOpenedAt = performance.now();
    return stream;
  }};
}})();"""


def emulate_link(context, page, mbps, latency_ms):
    """Hold `page`'s requests to a link of `mbps` Mbit/s both ways and `latency_ms` round trips
    (DevTools' network throttling), from its next navigation on."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                  "downloadThroughput": mbps * 125_000,
                                                  "uploadThroughput": mbps * 125_000})
