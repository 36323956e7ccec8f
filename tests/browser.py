"""Drive headless Chromium from tests: dump a page's DOM after its scripts ran, take a screenshot, and
record every network request the browser attempts through a loopback proxy.

    with RecordingProxy() as proxy:
        dom = run_chromium(path, tmp_path, proxy=proxy, screenshot=tmp_path / "shot.png")
    assert proxy.requests() == []

Chromium itself phones home at start-up (network time, spell-check dictionaries, account, search,
optimisation-guide and push-messaging services). Those are switched off by flags and profile preferences; the ones that cannot
be (the account reconciler's ``ListAccounts`` call, the push-messaging check-in a few seconds later, the
optimisation guide's hint and model fetches)
are pointed at ``INTERNAL_HOST``, a name under ``.invalid`` that the proxy recognises and leaves out of
``requests()``. Any other connection, a silent one included, is recorded.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

INTERNAL_HOST = "chromium-services.claimcheck-test.invalid"


def chromium_or_skip() -> str:
    """The path of the ``chromium`` executable, or skip the test saying why."""
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("headless Chromium is not installed (no `chromium` on PATH)")
    return found


class RecordingProxy:
    """A loopback socket posing as an HTTP proxy: it records each connection's request line and answers nothing."""

    def __init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.1)
        self.port: int = self._server.getsockname()[1]
        self.seen: list[str] = []  # every request line, Chromium's own probe included
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                data = b""
                try:
                    while b"\r\n" not in data and len(data) < 8192:
                        chunk = conn.recv(1024)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
            line = data.split(b"\r\n", 1)[0].decode("latin-1") or "<connection without a request>"
            with self._lock:
                self.seen.append(line)

    def requests(self) -> list[str]:
        """The request lines received, without those to Chromium's own services (``INTERNAL_HOST``)."""
        with self._lock:
            return [line for line in self.seen if _host(line) != INTERNAL_HOST]


def _host(request_line: str) -> str | None:
    """The host a proxy request line asks for: ``CONNECT host:port`` or ``GET http://host/...``."""
    parts = request_line.split()
    if len(parts) != 3:
        return None
    target = parts[1] if parts[0] != "CONNECT" else f"//{parts[1]}"
    try:
        return urlsplit(target).hostname
    except ValueError:
        return None


_PREFERENCES = {
    "browser": {"enable_spellchecking": False},
    "spellcheck": {"dictionaries": [], "use_spelling_service": False},
    "net": {"network_prediction_options": 2},  # no preconnecting to the search engine
}


def run_chromium(
    target: Path | str,
    profile: Path,
    *,
    proxy: RecordingProxy | None = None,
    screenshot: Path | None = None,
    window: tuple[int, int] = (1280, 2000),
    timeout: float = 60,
) -> str:
    """Load ``target`` (a file path or URL) in headless Chromium with a fresh profile under ``profile``
    and return the DOM serialised after load; also save a PNG screenshot when ``screenshot`` is given.

    With ``proxy``, every request (loopback ones too) goes through it.
    """
    executable = chromium_or_skip()
    user_data = Path(profile) / "chromium-profile"
    (user_data / "Default").mkdir(parents=True, exist_ok=True)
    (user_data / "Default" / "Preferences").write_text(json.dumps(_PREFERENCES), encoding="utf-8")
    url = target if isinstance(target, str) and "://" in target else Path(target).resolve().as_uri()
    args = [
        executable,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={user_data}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-features=NetworkTimeServiceQuerying,AimEnabled,AimServerRequestOnStartupEnabled,"
        "OptimizationHints,OptimizationHintsFetching,OptimizationGuideModelDownloading,OptimizationTargetPrediction,"
        "OptimizationGuideOnDeviceModel,MediaRouter,Translate,AutofillServerCommunication",
        f"--optimization-guide-service-get-hints-url=http://{INTERNAL_HOST}/hints",
        f"--optimization-guide-service-get-models-url=http://{INTERNAL_HOST}/models",
        f"--gaia-url=http://{INTERNAL_HOST}/",
        f"--gcm-checkin-url=http://{INTERNAL_HOST}/checkin",
        f"--gcm-registration-url=http://{INTERNAL_HOST}/register",
        f"--gcm-mcs-endpoint=https://{INTERNAL_HOST}:5228",
        "--virtual-time-budget=3000",  # let timers, image errors and late scripts run before the dump
        f"--window-size={window[0]},{window[1]}",
        "--hide-scrollbars",
        "--dump-dom",
    ]
    if proxy is not None:
        args += [f"--proxy-server={proxy.url}", "--proxy-bypass-list=<-loopback>"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    args.append(url)
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited with {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout
