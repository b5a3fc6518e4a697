"""static/js/socket.js's bookkeeping, in the real page against a scripted Socket.IO client (the
server's timing cannot be forced): a late answer is not taken for the next frame, waiting for a
connection leaves no listener behind, and a server mode that cannot start says so."""
import pytest

from tests.browser.page_support import open_page  # noqa: F401 (fixture)

# A Socket.IO client whose server answers only when the test says: fire(event, message).
FAKE_IO = """
globalThis.fakeSockets = [];
globalThis.io = () => {
  const handlers = {};
  const socket = {
    connected: true, sent: [], io: { on() {} },
    on(ev, fn) { (handlers[ev] ??= []).push(fn); return socket; },
    once(ev, fn) { const w = (...a) => { socket.off(ev, w); fn(...a); }; w.fn = fn; return socket.on(ev, w); },
    off(ev, fn) { handlers[ev] = (handlers[ev] ?? []).filter((h) => h !== fn && h.fn !== fn); return socket; },
    emit(ev, msg) { socket.sent.push(msg.id); },
    fire(ev, msg) { [...(handlers[ev] ?? [])].forEach((h) => h(msg)); },
    listeners(ev) { return handlers[ev] ?? []; },
    close() {},
  };
  globalThis.fakeSockets.push(socket);
  return socket;
};
"""

LATE_ANSWER_JS = """async () => {
  const { createServerEngine } = await import('/static/js/socket.js');
  const engine = await createServerEngine({ timeoutMs: 300 });
  const socket = globalThis.fakeSockets.at(-1);
  const frame = Object.assign(document.createElement('canvas'), { width: 64, height: 48 });
  const face = (label) => ({ box: [1, 2, 3, 4], label, confidence: 0.9, probabilities: {} });
  const first = await engine.analyse(frame).then(() => 'answered', (err) => err.message);
  const second = engine.analyse(frame);
  await new Promise((r) => setTimeout(r, 50)); // frame 2 is encoded and sent
  socket.fire('result', { id: 1, width: 64, faces: [face('late')] }); // frame 1's answer, too late
  await new Promise((r) => setTimeout(r, 50));
  socket.fire('result', { id: 2, width: 64, faces: [face('on time')] });
  const result = await second;
  engine.dispose();
  return { first, sent: socket.sent, label: result.faces[0].label };
}"""

DISCONNECTED_JS = """async () => {
  const { createServerEngine } = await import('/static/js/socket.js');
  const engine = await createServerEngine({ timeoutMs: 100 });
  const socket = globalThis.fakeSockets.at(-1);
  socket.connected = false;
  const before = socket.listeners('connect').length;
  const frame = Object.assign(document.createElement('canvas'), { width: 64, height: 48 });
  const errors = [];
  for (let i = 0; i < 5; i++) await engine.analyse(frame).catch((err) => errors.push(err.message));
  const after = socket.listeners('connect').length;
  engine.dispose();
  return { before, after, errors };
}"""


@pytest.fixture()
def page(live_app, chromium, open_page):
    return open_page(chromium(camera=False), f"{live_app.url}/?mode=browser&backend=wasm", init_script=FAKE_IO,
                     permissions=[])


def test_a_late_answer_is_not_taken_for_the_next_frame(page):
    out = page.evaluate(LATE_ANSWER_JS)
    assert "No answer from the server" in out["first"], out
    assert out["sent"] == [1, 2] and out["label"] == "on time", out


def test_waiting_for_the_connection_leaves_no_listener_behind(page):
    out = page.evaluate(DISCONNECTED_JS)
    assert len(out["errors"]) == 5 and all("Not connected" in e for e in out["errors"]), out
    assert out["after"] == out["before"], out


# Every text the message line shows, in order: with no camera either failure may be said last.
MESSAGES_JS = """document.addEventListener('DOMContentLoaded', () => {
  const line = document.getElementById('message');
  window.messages = [line.textContent];
  new MutationObserver(() => window.messages.push(line.textContent))
    .observe(line, { childList: true, characterData: true, subtree: true });
});"""


def test_server_mode_that_cannot_start_says_so(live_app, chromium, open_page):
    page = open_page(chromium(camera=False), f"{live_app.url}/?mode=server", permissions=[], init_script=MESSAGES_JS,
                     route=("**/socket.io.min.js*", lambda route: route.abort()))
    page.wait_for_function("() => (window.messages ?? []).some((m) => /Server mode could not start/.test(m))",
                           timeout=60000, polling=250)
    assert page.inner_text("#mode-name") in ("stopped", "waiting for a file")  # not "starting"
    assert page.errors == []
