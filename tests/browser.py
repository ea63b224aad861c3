"""Headless Chromium driven over the DevTools protocol (``--remote-debugging-pipe``), for tests
that must see a page as a reader's browser does: what it logged, what it tried to load, and a
screenshot. Uses Debian's ``chromium`` package; no driver, no download.

The flags are those known to work on this kind of machine: as root (``--no-sandbox``), without
a GPU, and with Chromium's own background traffic switched off so that a closed network does
not fill the log.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
WHY_NO_BROWSER = (
    "headless Chromium is not installed here (Debian package `chromium`; .ci/run installs it "
    "with apt-get when it runs as root), so the page cannot be checked in a real browser"
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Visit:
    """What a page did while it loaded."""

    screenshot: bytes = b""
    console: list[tuple[str, str]] = field(default_factory=list)
    """(type, text) of every console call: log, warning, error…"""
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    """The browser's own error entries (failed loads, blocked requests, CSP violations)."""
    requests: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return (
            [text for kind, text in self.console if kind in ("error", "assert")]
            + self.exceptions
            + self.log_errors
        )


class _Pipe:
    def __init__(self, binary: str, profile: str) -> None:
        cmd_r, cmd_w = os.pipe()
        res_r, res_w = os.pipe()
        high = [os.dup(fd) for fd in (cmd_r, res_w)]  # out of the way of 3 and 4

        def wire() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            preexec_fn=wire,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in (cmd_r, res_w, *high):
            os.close(fd)
        self.out, self.inp = cmd_w, res_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.inp], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.inp, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buffer += chunk
        raw, _, self.buffer = self.buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str = "",
        timeout: float = 30,
    ) -> dict[str, Any]:
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == method for e in self.events):
            return
        while True:
            message = self.receive(deadline)
            self.events.append(message)
            if message.get("method") == method:
                return

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self.out)
            os.close(self.inp)


def visit(page: Path, *, width: int = 1280, height: int = 900) -> Visit:
    """Open ``page`` (a local file) in headless Chromium and report what happened."""
    binary = chromium()
    assert binary, WHY_NO_BROWSER
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        pipe = _Pipe(binary, profile)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            pipe.call("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
            pipe.wait_for("Page.loadEventFired")
            pipe.call("Runtime.evaluate", {"expression": "1"}, session=session)  # late events
            shot = pipe.call(
                "Page.captureScreenshot",
                {"format": "png", "captureBeyondViewport": True},
                session=session,
            )
        finally:
            pipe.close()
    result = Visit(screenshot=base64.b64decode(shot["data"]))
    for e in pipe.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            result.console.append((params["type"], text))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            thrown = details.get("exception", {}).get("description") or details.get("text", "")
            result.exceptions.append(f"{thrown} at {details.get('url', '')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            result.log_errors.append(
                f"{entry.get('source')}: {entry['text']} {entry.get('url', '')}"
            )
        elif method == "Network.requestWillBeSent":
            result.requests.append(params["request"]["url"])
    return result
