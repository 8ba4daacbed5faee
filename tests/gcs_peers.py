"""Real Google Cloud protocol peers on loopback, for running the stages against gs://.

- gcp-storage-emulator (PyPI): the GCS JSON API, in memory. google-cloud-storage
  and Beam's GCS IO talk to it when STORAGE_EMULATOR_HOST is set; pyarrow's
  GCS client through arrow_filesystem.py.
- A GCE metadata server: Beam always asks google.auth for credentials first,
  and without any it retries for ~25 s before going anonymous. google.auth
  finds this server through GCE_METADATA_HOST and gets a token from it at once,
  the way a Dataflow worker gets one from its VM's metadata server.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_ACCOUNT = "tests@xlmr-tests.iam.gserviceaccount.com"
_METADATA = {
    "/": "computeMetadata/",
    "/computeMetadata/v1/project/project-id": "xlmr-tests",
    "/computeMetadata/v1/universe/universe-domain": "googleapis.com",
    "/computeMetadata/v1/instance/service-accounts/default/":
        json.dumps({"email": _ACCOUNT, "aliases": ["default"],
                    "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}),
    "/computeMetadata/v1/instance/service-accounts/default/email": _ACCOUNT,
    "/computeMetadata/v1/instance/service-accounts/default/token":
        json.dumps({"access_token": "loopback", "expires_in": 3600, "token_type": "Bearer"}),
}


class _Metadata(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = _METADATA.get(self.path.split("?")[0])
        self.send_response(200 if body is not None else 404)
        self.send_header("Metadata-Flavor", "Google")
        data = (body or "").encode()
        self.send_header("Content-Type", "application/json" if data.startswith(b"{") else "application/text")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GcsPeers:
    """Start both servers; `env` is what a child process needs to use them."""

    def __init__(self, bucket: str = "xlmr-tests"):
        from gcp_storage_emulator.server import create_server

        logging.getLogger("gcp_storage_emulator").setLevel(logging.ERROR)
        self.bucket = bucket
        port = _free_port()
        self.storage = create_server("127.0.0.1", port, in_memory=True, default_bucket=bucket)
        self.endpoint = f"http://127.0.0.1:{port}"
        self.metadata = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
        metadata_host = f"127.0.0.1:{self.metadata.server_address[1]}"
        self.env = {
            **os.environ,
            "STORAGE_EMULATOR_HOST": self.endpoint,
            "GCE_METADATA_HOST": metadata_host,
            "GCE_METADATA_IP": metadata_host,
            "CLOUDSDK_CONFIG": tempfile.mkdtemp(),  # no gcloud credentials of the machine
        }
        self.env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(credentials=AnonymousCredentials(), project="xlmr-tests",
                              client_options={"api_endpoint": self.endpoint})

    def __enter__(self):
        self.storage.start()
        threading.Thread(target=self.metadata.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.metadata.shutdown()
        self.storage.stop()
