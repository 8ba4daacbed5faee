"""A real HTTP server on loopback that serves files with Range support and misbehaves on cue.

Each request to a path takes the next action of that path's plan (then "ok"):
  "ok"            200, or 206 for a Range request
  503 / 429 / 500 that status, with Retry-After: 0 for 503 and 429 (as CommonCrawl's SlowDown)
  "cut"           headers for the whole answer, then the connection drops after a third of it
  "slow"          the answer in 8 KiB pieces with a pause before each
  "stall"         headers, then silence longer than the client's timeout
  "ignore-range"  200 with the whole file even when a Range was asked for
  404             not found (not retryable)
"""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FlakyServer:
    def __init__(self, files: dict[str, Path]):
        self.files = {name: path.read_bytes() for name, path in files.items()}
        self.plans: dict[str, list] = {}
        self.requests: list[tuple[str, str | None, object]] = []  # (path, Range header, action)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                plan = server.plans.get(name, [])
                action = plan.pop(0) if plan else "ok"
                server.requests.append((name, self.headers.get("Range"), action))
                if action == 404 or name not in server.files:
                    return self._status(404)
                if isinstance(action, int):
                    return self._status(action, retry_after=action in (429, 503))
                data = server.files[name]
                start = 0
                match = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match and action != "ignore-range":
                    start = int(match.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                if action == "cut":
                    self.wfile.write(body[: len(body) // 3])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                elif action == "stall":
                    time.sleep(server.stall_seconds)
                elif action == "slow":
                    for i in range(0, len(body), 8192):
                        time.sleep(0.002)
                        self.wfile.write(body[i:i + 8192])
                else:
                    self.wfile.write(body)

            def _status(self, code, retry_after=False):
                self.send_response(code)
                if retry_after:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

        self.stall_seconds = 2.0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
