#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A DNS forwarder that answers NOTIMPL to SOA queries, like Boulder's test DNS and some
split-horizon or internal servers: every other query (UDP or TCP) is relayed unchanged
to --upstream and its answer relayed back. Each SOA refusal appends "SOA <name>" to --log.

  notimpl_dns.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:53 --log FILE

Standard library only (Debian's /usr/bin/python3). Test helper; loopback only.
"""
import argparse
import socket
import socketserver
import struct
import sys
import threading

SOA = 6
NOTIMPL = 4


def question(msg):
    """(qname, qtype, end offset of the question) of a query, or None."""
    if len(msg) < 12 or struct.unpack("!H", msg[4:6])[0] != 1:
        return None
    i, labels = 12, []
    while i < len(msg):
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(msg):
            return None
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[i:i + 2])[0]
    return ".".join(labels), qtype, i + 4


def notimpl(msg, end):
    """The NOTIMPL answer to `msg`: its id and question, QR and RA set, no records."""
    flags = struct.unpack("!H", msg[2:4])[0]
    flags = 0x8000 | (flags & 0x7900) | 0x0080 | NOTIMPL  # QR, opcode and RD kept, RA, rcode
    return msg[:2] + struct.pack("!HHHHH", flags, 1, 0, 0, 0) + msg[12:end]


class Forwarder:
    def __init__(self, args):
        self.upstream = args.upstream.rsplit(":", 1)
        self.upstream = (self.upstream[0], int(self.upstream[1]))
        self.log_path = args.log
        self.lock = threading.Lock()

    def answer(self, msg, tcp):
        q = question(msg)
        if q is not None and q[1] == SOA:
            with self.lock, open(self.log_path, "a", encoding="utf-8") as f:
                f.write("SOA %s\n" % q[0])
            return notimpl(msg, q[2])
        if tcp:
            with socket.create_connection(self.upstream, timeout=5) as s:
                s.sendall(struct.pack("!H", len(msg)) + msg)
                n = struct.unpack("!H", recv_exact(s, 2))[0]
                return recv_exact(s, n)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            s.sendto(msg, self.upstream)
            return s.recvfrom(65535)[0]


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("short read")
        data += chunk
    return data


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        msg, sock = self.request
        try:
            sock.sendto(self.server.fwd.answer(msg, False), self.client_address)
        except OSError as e:
            sys.stderr.write("notimpl_dns: udp: %s\n" % e)


class Tcp(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            n = struct.unpack("!H", recv_exact(self.request, 2))[0]
            out = self.server.fwd.answer(recv_exact(self.request, n), True)
            self.request.sendall(struct.pack("!H", len(out)) + out)
        except (OSError, ConnectionError, struct.error) as e:
            sys.stderr.write("notimpl_dns: tcp: %s\n" % e)


class UdpServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True)
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    host, port = args.listen.rsplit(":", 1)
    fwd = Forwarder(args)
    udp = UdpServer((host, int(port)), Udp)
    tcp = TcpServer((host, int(port)), Tcp)
    udp.fwd = tcp.fwd = fwd
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    udp.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
