#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An HTTPS reverse proxy in front of Pebble that records what acmed signs.

For each POST it appends one JSON line to --log:
  {"path": "/revoke-cert", "status": 200, "protected": {...JWS protected header...},
   "payload_keys": ["certificate", "reason"]}
so a test can assert from the request itself how it was signed (jwk or kid) and count
calls (e.g. newAccount answered 201 Created). The Host header is passed through, so
Pebble's URLs name the proxy and every later request comes back through it. Payload
values are not logged (only the top-level keys): the log holds no key material.

Standard library only (Debian's /usr/bin/python3). Test helper; loopback only.
"""
import argparse
import base64
import http.client
import http.server
import json
import ssl
import sys
import threading

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "content-length", "server", "date"}


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def describe(body):
    """(protected header, payload keys) of a flattened JWS; ({}, []) for anything else."""
    try:
        obj = json.loads(body)
        prot = json.loads(b64url_decode(obj.get("protected", "")))
        raw = obj.get("payload", "")
        payload = json.loads(b64url_decode(raw)) if raw else None
        keys = sorted(payload) if isinstance(payload, dict) else []
        return (prot if isinstance(prot, dict) else {}), keys
    except Exception:  # noqa: BLE001  (not a JWS: logged as such)
        return {}, []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None
    lock = threading.Lock()

    def log_message(self, fmt, *a):
        sys.stderr.write("jws_log: %s\n" % (fmt % a))

    def do_GET(self):
        self.forward()

    def do_HEAD(self):
        self.forward()

    def do_POST(self):
        self.forward()

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        host, port = self.args.upstream.rsplit(":", 1)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(self.command, self.path, body=body if body else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if self.command == "POST":
            prot, keys = describe(body)
            line = json.dumps({"path": self.path, "status": resp.status, "protected": prot, "payload_keys": keys})
            with self.lock, open(self.args.log, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--log", required=True)
    args = p.parse_args()
    Handler.args = args
    host, port = args.listen.rsplit(":", 1)
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
