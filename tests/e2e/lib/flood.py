# SPDX-License-Identifier: Apache-2.0
"""flood.py HOST PORT N [--hold]: opens N connections that send half a request and stall,
then times one normal request while they are held. Prints the latency in ms (-1: no
answer). With --hold the stalled connections stay open until stdin is closed (so
bench/serve_flood.sh can read the server's memory meanwhile)."""
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(n):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    held.append(s)
start = time.monotonic()
ok = False
for attempt in range(20):  # connections over the cap are closed at once; retry briefly
    try:
        c = socket.create_connection((host, port), timeout=5)
        c.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = c.recv(4096)
        c.close()
        if b"200 OK" in data:
            ok = True
            break
    except OSError:
        pass
    time.sleep(0.05)
print(int((time.monotonic() - start) * 1000) if ok else -1, flush=True)
if "--hold" in sys.argv[4:]:
    sys.stdin.read()
for s in held:
    s.close()
