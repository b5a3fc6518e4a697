"""What the test_page_* files share: opening the page in a fresh context, reading its face list
and its progress, and waiting for analysed frames."""
import pytest

FACES_JS = """() => [...document.querySelectorAll('#faces > li')].map(li => ({
    label: li.dataset.label, confidence: Number(li.dataset.confidence), number: Number(li.dataset.number),
    unsure: li.dataset.unsure === 'true', box: li.dataset.box.split(',').map(Number), text: li.textContent}))"""
FRAMES_JS = "() => Number(document.getElementById('faces').dataset.frames || 0)"
# Every request and WebSocket the page makes, recorded from before its first script runs.
SOCKET_URL = "/socket.io/"


@pytest.fixture()
def open_page():
    """open_page(browser, url, init_script=None, route=None, on_page=None, **context) -> page, in a
    fresh context closed after the test. page.errors: uncaught errors; page.requests: URLs
    requested; page.sockets: WebSocket URLs opened. on_page(page) runs before the page is opened
    (to listen from its first request on)."""
    contexts = []

    def open_(browser, url, init_script=None, route=None, on_page=None, **context):
        ctx = browser.new_context(**{"viewport": {"width": 1200, "height": 820}, **context})
        contexts.append(ctx)
        if init_script:
            ctx.add_init_script(init_script)
        page = ctx.new_page()
        page.errors, page.requests, page.sockets = [], [], []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("request", lambda r: page.requests.append(r.url))
        page.on("websocket", lambda ws: page.sockets.append(ws.url))
        if route:
            page.route(*route)
        if on_page:
            on_page(page)
        page.goto(url)
        return page
    yield open_
    for ctx in contexts:
        ctx.close()


def wait_frames(page, count, timeout_s=60):
    """Wait until the page has rendered `count` more results; returns the faces of the last one."""
    start = page.evaluate(FRAMES_JS)
    page.wait_for_function(f"() => Number(document.getElementById('faces').dataset.frames || 0) >= {start + count}",
                           timeout=timeout_s * 1000)
    return page.evaluate(FACES_JS)


def server_traffic(page):
    """Requests and sockets that would carry frames to the server (Socket.IO's, either transport)."""
    return [u for u in page.requests if SOCKET_URL in u or "socket.io" in u.split("/")[-1]] + page.sockets


def progress(page):
    """{step: state} of the getting-ready list, and whether it is hidden."""
    return page.evaluate("""() => { const p = document.getElementById('progress');
        return { hidden: p.hidden, ...Object.fromEntries([...p.children].map((li) => [li.dataset.step, li.dataset.state])) } }""")
