#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A CA that speaks draft-ietf-acme-dns-persist-02 (or -01), made from a real Pebble.

An HTTPS reverse proxy in front of Pebble (run with PEBBLE_VA_ALWAYS_VALID=1, so Pebble
marks valid every challenge the proxy lets through). The proxy does the dns-persist-01
validation itself, against real DNS, before a challenge POST reaches Pebble:

  mode 02 (first line of --mode-file): the directory gets meta.issuerDomainNames and
    meta.accountHashPrefix, challenges get the -02 shape (issuerDomainNames, no
    accounturi), and a record's accounturi must be the hashed account URI, made with the
    account's current key or any earlier one (keyChange), never for a deactivated account.
  mode 01: directory and challenges pass through; accounturi must be the account URL.

Each challenge POST ({} to a dns-persist-01 challenge URL) appends one line to --log:
  CHALLENGE <url> <identifier, "*." in front for a wildcard authorization> ok
  CHALLENGE <url> <identifier> refused <reason>
A refused POST gets a 403 unauthorized problem and never reaches Pebble. The log also
gets ACCOUNT, KEYCHANGE and DEACTIVATED lines (for reading; counts use CHALLENGE lines).

Boulder's ways, on request:
  --account-uri-prefix P (mode 01): challenges carry accounturi P<account id> (the last path
    segment of the account URL), as Boulder builds it from its accountURIPrefixes, and a
    record must hold exactly that URI (the account URL no longer validates).
  --key-cache N: for N seconds after a 200 keyChange, every POST signed for that account
    (kid) gets 400 malformed "Unable to validate JWS :: JWS verification error", as
    Boulder's WFE answers while its account cache still holds the old key; each such
    answer logs "JWSREJECT <path>". --key-cache-skip-account exempts POSTs to the account
    URL itself (another WFE instance that already sees the new key).

Standard library only (Debian's /usr/bin/python3). Test helper; loopback only.
"""
import argparse
import base64
import datetime
import hashlib
import http.client
import http.server
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

MAX_BODY = 1 << 20
HOP_BY_HOP = {"expect", "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "transfer-encoding", "upgrade", "content-length"}
PERSIST = "dns-persist-01"


def log(msg):
    sys.stderr.write("persist_ca: %s\n" % msg)
    sys.stderr.flush()


# --- encodings, thumbprints, hashed account URIs -------------------------------------------

def b64url_decode(s):
    if isinstance(s, str):
        s = s.encode("ascii")
    return base64.urlsafe_b64decode(s + b"=" * (-len(s) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk_thumbprint(jwk):
    """RFC 7638 SHA-256 thumbprint, base64url without padding."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    kty = jwk.get("kty")
    if kty not in required:
        raise ValueError("unsupported JWK kty %r" % kty)
    members = {}
    for k in required[kty]:
        if not isinstance(jwk.get(k), str):
            raise ValueError("JWK lacks %r" % k)
        members[k] = jwk[k]
    canon = json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url(hashlib.sha256(canon.encode("utf-8")).digest())


def account_hash(domain, thumbprint, account_url):
    """-02: b64url(SHA-256(len(domain) || domain || thumbprint || accountURL)), len one octet."""
    d = domain.encode("utf-8")
    if len(d) > 255:
        raise ValueError("domain too long")
    return b64url(hashlib.sha256(bytes([len(d)]) + d + thumbprint.encode("ascii") + account_url.encode("utf-8")).digest())


def parse_jws(body):
    """(protected header dict, payload bytes) of a flattened JWS, or None."""
    try:
        obj = json.loads(body)
        if not isinstance(obj, dict):
            return None
        prot = json.loads(b64url_decode(obj.get("protected", "")))
        payload = b64url_decode(obj.get("payload", ""))
        if not isinstance(prot, dict):
            return None
        return prot, payload
    except Exception:
        return None


def payload_json(payload):
    if payload == b"":
        return None
    try:
        return json.loads(payload)
    except Exception:
        return None


# --- the record, parsed like Boulder (va/dns_persist.go) -----------------------------------

def _trim_wsp(s):
    return s.strip(" \t")


class Malformed(Exception):
    pass


def normalize_issuer(name):
    return name.lower().rstrip(".")


def parse_record(record):
    """-> (issuer, params dict) or raises Malformed(issuer, message)."""
    parts = record.split(";")
    raw_issuer = _trim_wsp(parts[0])
    if raw_issuer == "":
        raise Malformed("", "empty issuer-domain-name")
    issuer = normalize_issuer(raw_issuer)
    params = {}
    for param in parts[1:]:
        param = _trim_wsp(param)
        if param == "":
            raise Malformed(issuer, "empty parameter or trailing semicolon provided")
        if "=" not in param:
            raise Malformed(issuer, "malformed parameter %s should be tag=value pair" % json.dumps(param))
        tag, value = param.split("=", 1)
        tag, value = _trim_wsp(tag), _trim_wsp(value)
        if tag == "":
            raise Malformed(issuer, "malformed parameter %s, empty tag" % json.dumps(param))
        for ch in value:
            o = ord(ch)
            if not (0x21 <= o <= 0x3A or 0x3C <= o <= 0x7E):
                raise Malformed(issuer, "malformed value %s for tag %s" % (json.dumps(value), json.dumps(tag)))
        canon = tag.lower()
        if canon not in ("accounturi", "policy", "persistuntil"):
            continue  # unknown tags are ignored
        if canon in params:
            raise Malformed(issuer, "duplicate parameter %s" % json.dumps(tag))
        if canon == "accounturi" and value == "":
            raise Malformed(issuer, "empty value provided for mandatory accounturi")
        if canon == "persistuntil" and not re.fullmatch(r"[0-9]+", value):
            raise Malformed(issuer, "malformed persistUntil timestamp %s" % json.dumps(value))
        params[canon] = value
    if "accounturi" not in params:
        raise Malformed(issuer, "missing mandatory accounturi parameter")
    return issuer, params


def fmt_time(secs):
    try:
        return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "%d" % secs


# --- DNS through dig -------------------------------------------------------------------------

def dig_unescape_strings(rdata):
    """The character-strings of a TXT rdata as dig prints it: "a" "b\\"c" "\\255" -> [bytes]."""
    out, i, n = [], 0, len(rdata)
    while i < n:
        c = rdata[i]
        if c in " \t":
            i += 1
            continue
        buf = bytearray()
        quoted = c == '"'
        if quoted:
            i += 1
        while i < n:
            c = rdata[i]
            if quoted and c == '"':
                i += 1
                break
            if not quoted and c in " \t":
                break
            if c == "\\" and i + 1 < n:
                if rdata[i + 1:i + 4].isdigit() and len(rdata[i + 1:i + 4]) == 3:
                    buf.append(int(rdata[i + 1:i + 4]) & 0xFF)
                    i += 4
                else:
                    buf.extend(rdata[i + 1].encode("utf-8"))
                    i += 2
                continue
            buf.extend(c.encode("utf-8"))
            i += 1
        out.append(bytes(buf))
    return out


def split_rr(line):
    """'name. 60 IN TXT "a b"' (dig's owner TTL CLASS TYPE RDATA) -> (name, type, rdata text)."""
    fields = line.split(None, 4)
    if len(fields) < 4:
        return None
    return fields[0], fields[3].upper(), fields[4].strip() if len(fields) > 4 else ""


def norm_name(name):
    return name.lower().rstrip(".")


def lookup_txt(server, port, qname):
    """-> (list of TXT record strings at the end of the CNAME chain, None) or (None, error)."""
    cmd = ["dig", "@" + server, "-p", str(port), "+tcp", "+time=3", "+tries=2", "+noall", "+comments",
           "+answer", "+nomultiline", "TXT", qname]
    try:
        res = subprocess.run(cmd, capture_output=True, timeout=20, check=False)
    except (subprocess.TimeoutExpired, OSError) as e:
        return None, "DNS problem: looking up TXT for %s: %s" % (qname, e)
    text = res.stdout.decode("utf-8", "replace")
    status = None
    m = re.search(r"->>HEADER<<-.*status: ([A-Z]+)", text)
    if m:
        status = m.group(1)
    if res.returncode != 0 or status is None:
        return None, "DNS problem: looking up TXT for %s: dig exit %d: %s" % (
            qname, res.returncode, (text + res.stderr.decode("utf-8", "replace")).strip().replace("\n", " | ")[:300])
    if status == "NXDOMAIN":
        return [], None
    if status != "NOERROR":
        return None, "DNS problem: %s looking up TXT for %s" % (status, qname)
    cnames, txts = {}, {}
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        rr = split_rr(line)
        if rr is None:
            continue
        name, rtype, rdata = rr
        if rtype == "CNAME":
            cnames[norm_name(name)] = norm_name(rdata.split()[0]) if rdata else ""
        elif rtype == "TXT":
            txts.setdefault(norm_name(name), []).append(
                b"".join(dig_unescape_strings(rdata)).decode("utf-8", "replace"))
    cur, seen = norm_name(qname), set()
    while cur in cnames and cur not in seen:
        seen.add(cur)
        cur = cnames[cur]
    return txts.get(cur, []), None


# --- state -------------------------------------------------------------------------------------

class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.challenges = {}   # challenge URL path -> (url, identifier value, wildcard)
        self.accounts = {}     # account URL -> {"thumbprints": [...], "deactivated": bool}
        self.directory = None  # Pebble's directory (as Pebble serves it)
        self.key_changed = {}  # account URL -> time of its last 200 keyChange (--key-cache)
        self.load()

    def load(self):
        """Accounts and challenges saved by an earlier run (--state), so a restart forgets nothing."""
        if not self.args.state:
            return
        try:
            with open(self.args.state, encoding="utf-8") as f:
                saved = json.load(f)
            self.accounts = saved.get("accounts", {})
            self.challenges = {k: tuple(v) for k, v in saved.get("challenges", {}).items()}
            log("loaded %d accounts, %d challenges from %s" % (len(self.accounts), len(self.challenges),
                                                               self.args.state))
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as e:
            log("cannot load %s: %s" % (self.args.state, e))

    def save_locked(self):
        """Call with self.lock held."""
        if not self.args.state:
            return
        tmp = self.args.state + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"accounts": self.accounts, "challenges": self.challenges}, f, indent=1)
            os.replace(tmp, self.args.state)
        except OSError as e:
            log("cannot save %s: %s" % (self.args.state, e))

    def mode(self):
        try:
            with open(self.args.mode_file, encoding="utf-8") as f:
                m = f.readline().strip()
        except OSError:
            m = ""
        if m not in ("01", "02"):
            log("mode file %s says %r; using 02" % (self.args.mode_file, m))
            m = "02"
        return m

    def write_log(self, line):
        line = line.replace("\n", " ").replace("\r", " ")
        with self.log_lock, open(self.args.log, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        log(line)

    def caa_identities(self):
        d = self.get_directory()
        ids = (d or {}).get("meta", {}).get("caaIdentities") or []
        return [i for i in ids if isinstance(i, str)]

    def issuer_names(self):
        if self.args.issuers:
            return [s.strip() for s in self.args.issuers.split(",") if s.strip()]
        return self.caa_identities()

    def get_directory(self):
        with self.lock:
            if self.directory is not None:
                return self.directory
        try:
            status, _, body = upstream_request(self.args, "GET", "/dir", own_headers(self.args.upstream), None)
            if status != 200:
                log("Pebble's directory: HTTP %d %s" % (status, body[:200]))
            else:
                d = json.loads(body)
                with self.lock:
                    self.directory = d
                return d
        except Exception as e:  # noqa: BLE001
            log("cannot fetch Pebble's directory: %s" % e)
        return None

    def dir_path(self, key, default):
        d = self.get_directory() or {}
        url = d.get(key)
        return urllib.parse.urlsplit(url).path if isinstance(url, str) else default


def own_headers(host):
    """Headers of the proxy's own requests (Pebble insists on a User-Agent)."""
    return {"Host": host, "User-Agent": "persist_ca.py"}


def upstream_request(args, method, path, headers, body):
    host, port = args.upstream.rsplit(":", 1)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheaders(), data
    finally:
        conn.close()


# --- JSON rewriting ----------------------------------------------------------------------------

def to_02_challenge(ch, challenge_issuers):
    ch.pop("accounturi", None)
    names = ch.pop("issuer-domain-names", None)
    if "issuerDomainNames" not in ch and names is not None:
        ch["issuerDomainNames"] = names
    if challenge_issuers is not None:
        ch["issuerDomainNames"] = challenge_issuers


# --- the request handler ----------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "persist-ca"
    timeout = 120
    state = None  # set in main

    def log_message(self, fmt, *a):
        log("%s %s" % (self.address_string(), fmt % a))

    def do_GET(self):
        self.proxy()

    def do_HEAD(self):
        self.proxy()

    def do_POST(self):
        self.proxy()

    def do_PUT(self):
        self.proxy()

    def do_DELETE(self):
        self.proxy()

    # -- plumbing

    def read_body(self):
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            body = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024).strip():
                        pass
                    break
                if len(body) + size > MAX_BODY:
                    raise ValueError("request body over %d bytes" % MAX_BODY)
                body += self.rfile.read(size)
                self.rfile.readline(16)
            return bytes(body)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("request body of %d bytes" % n)
        return self.rfile.read(n) if n else b""

    def send(self, status, headers, body):
        self.send_response(status)
        length = str(len(body))
        for k, v in headers:
            if k.lower() == "content-length" and self.command == "HEAD":
                length = v  # a HEAD answer tells the length a GET would have
            if k.lower() in HOP_BY_HOP or k.lower() in ("server", "date"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def host(self):
        return self.headers.get("Host") or self.server.server_address[0]

    def proxy(self):
        try:
            self._proxy()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001
            log("error on %s %s: %s\n%s" % (self.command, self.path, e, traceback.format_exc()))
            self.close_connection = True
            try:
                body = json.dumps({"type": "urn:ietf:params:acme:error:serverInternal",
                                   "detail": "persist_ca proxy: %s" % e, "status": 500}).encode()
                self.send(500, [("Content-Type", "application/problem+json")], body)
            except Exception:  # noqa: BLE001
                pass

    def _proxy(self):
        st = self.state
        try:
            body = self.read_body()
        except (ValueError, OSError) as e:
            self.close_connection = True
            self.send(413, [("Content-Type", "application/problem+json")], json.dumps(
                {"type": "urn:ietf:params:acme:error:malformed", "detail": str(e), "status": 413}).encode())
            return
        mode = st.mode()
        path = urllib.parse.urlsplit(self.path).path
        jws = parse_jws(body) if self.command == "POST" and body else None
        prot, payload = jws if jws else ({}, b"")
        pj = payload_json(payload) if jws else None

        # Boulder's account cache: the new key is unknown to the WFE for a while
        kid = prot.get("kid") if jws else None
        if st.args.key_cache and isinstance(kid, str) and path != st.dir_path("keyChange", "/rollover-account-key"):
            with st.lock:
                changed = st.key_changed.get(kid)
            exempt = st.args.key_cache_skip_account and urllib.parse.urlsplit(kid).path == path
            if changed is not None and time.time() - changed < st.args.key_cache and not exempt:
                st.write_log("JWSREJECT %s" % path)
                self.refuse("Unable to validate JWS :: JWS verification error", "malformed", 400)
                return

        # challenge POST: validate before Pebble sees it
        if self.command == "POST" and jws and pj == {}:
            with st.lock:
                ch = st.challenges.get(path)
            if ch is not None:
                url, ident, wildcard = ch
                shown = ("*." + ident) if wildcard else ident
                reason = self.validate(mode, ident, wildcard, prot.get("kid"))
                if reason is not None:
                    st.write_log("CHALLENGE %s %s refused %s" % (url, shown, reason))
                    self.refuse(reason)
                    return
                st.write_log("CHALLENGE %s %s ok" % (url, shown))

        headers = {}
        for k, v in self.headers.items():
            if k.lower() in HOP_BY_HOP:
                continue
            headers[k] = v
        if "Host" not in headers and "host" not in {k.lower() for k in headers}:
            headers["Host"] = self.host()
        send_body = body if (body or self.command in ("POST", "PUT")) else None
        # HEAD of the directory: Pebble is asked for the body, so the length covers the added meta
        method = "GET" if (self.command == "HEAD" and path == "/dir") else self.command
        try:
            status, rheaders, rbody = upstream_request(st.args, method, self.path, headers, send_body)
        except (OSError, http.client.HTTPException) as e:
            log("Pebble unreachable for %s %s: %s" % (self.command, self.path, e))
            self.send(502, [("Content-Type", "application/problem+json")], json.dumps(
                {"type": "urn:ietf:params:acme:error:serverInternal",
                 "detail": "persist_ca proxy: Pebble unreachable: %s" % e, "status": 502}).encode())
            return
        if method != self.command:
            rheaders = [(k, v) for k, v in rheaders if k.lower() != "content-length"]

        rbody = self.observe(mode, path, status, rheaders, rbody, prot, payload, pj)
        self.send(status, rheaders, rbody)

    def refuse(self, reason, problem="unauthorized", status=403):
        st = self.state
        nonce_headers = []
        try:
            nonce_status, h, _ = upstream_request(st.args, "HEAD", st.dir_path("newNonce", "/nonce-plz"),
                                                  own_headers(self.host()), None)
            nonce_headers = [(k, v) for k, v in h if k.lower() == "replay-nonce"]
            if not nonce_headers:
                log("no Replay-Nonce from Pebble's newNonce (HTTP %d)" % nonce_status)
        except Exception as e:  # noqa: BLE001
            log("no fresh nonce from Pebble: %s" % e)
        body = json.dumps({"type": "urn:ietf:params:acme:error:" + problem, "detail": reason, "status": status},
                          indent=3).encode()
        hdrs = [("Content-Type", "application/problem+json"), ("Cache-Control", "public, max-age=0, no-cache"),
                ("Link", '<https://%s/dir>;rel="index"' % self.host())] + nonce_headers
        self.send(status, hdrs, body)

    # -- learning from responses, rewriting them

    def observe(self, mode, path, status, rheaders, rbody, prot, payload, pj):
        st = self.state
        ctype = ""
        location = None
        for k, v in rheaders:
            if k.lower() == "content-type":
                ctype = v
            elif k.lower() == "location":
                location = v
        ok = 200 <= status < 300

        if self.command == "POST" and ok:
            self.track_accounts(path, status, location, rbody, prot, payload, pj)

        if not rbody or "json" not in ctype.lower():
            return rbody
        try:
            obj = json.loads(rbody)
        except ValueError:
            return rbody
        if not isinstance(obj, dict):
            return rbody
        changed = False

        if path == "/dir" and self.command in ("GET", "HEAD") and status == 200:
            with st.lock:
                st.directory = json.loads(rbody)
            if mode == "02":
                meta = obj.setdefault("meta", {})
                meta["issuerDomainNames"] = st.issuer_names()
                meta["accountHashPrefix"] = "https://%s/account-hash/" % self.host()
                changed = True

        chal_issuers = None
        if st.args.challenge_issuers is not None:
            chal_issuers = [s.strip() for s in st.args.challenge_issuers.split(",") if s.strip()]
        if isinstance(obj.get("challenges"), list):
            ident = obj.get("identifier") or {}
            value = ident.get("value") if isinstance(ident, dict) else None
            wildcard = bool(obj.get("wildcard"))
            for ch in obj["challenges"]:
                if not isinstance(ch, dict) or ch.get("type") != PERSIST:
                    continue
                if isinstance(ch.get("url"), str) and isinstance(value, str):
                    with st.lock:
                        key, entry = urllib.parse.urlsplit(ch["url"]).path, (ch["url"], value, wildcard)
                        if st.challenges.get(key) != entry:
                            st.challenges[key] = entry
                            st.save_locked()
                changed = self.reshape(mode, ch, chal_issuers, prot) or changed
        elif obj.get("type") == PERSIST:
            changed = self.reshape(mode, obj, chal_issuers, prot) or changed

        if not changed:
            return rbody
        return json.dumps(obj, indent=3).encode()

    def reshape(self, mode, ch, chal_issuers, prot):
        """Gives a dns-persist-01 challenge object the shape of MODE's draft; True if it changed."""
        if mode == "02":
            to_02_challenge(ch, chal_issuers)
            return True
        if self.state.args.account_uri_prefix and isinstance(prot.get("kid"), str):
            ch["accounturi"] = self.alias(prot["kid"])  # Boulder: accountURIPrefixes[0] + account id
            return True
        if self.state.args.with_accounturi and "accounturi" not in ch and isinstance(prot.get("kid"), str):
            ch["accounturi"] = prot["kid"]  # -01 names the requesting account (Pebble 2.10.0 speaks -00)
            return True
        return False

    def alias(self, kid):
        return self.state.args.account_uri_prefix + kid.rstrip("/").rsplit("/", 1)[-1]

    def track_accounts(self, path, status, location, rbody, prot, payload, pj):
        st = self.state
        new_acct = st.dir_path("newAccount", "/sign-me-up")
        key_change = st.dir_path("keyChange", "/rollover-account-key")
        if path == new_acct and isinstance(prot.get("jwk"), dict) and location:
            try:
                tp = jwk_thumbprint(prot["jwk"])
            except ValueError as e:
                log("newAccount: %s" % e)
                return
            with st.lock:
                acct = st.accounts.get(location)
                if status == 201 or acct is None:
                    # a new account (a restarted Pebble may hand out an old URL again)
                    st.accounts[location] = {"thumbprints": [tp], "deactivated": False}
                elif tp not in acct["thumbprints"]:
                    acct["thumbprints"].append(tp)
                st.save_locked()
            st.write_log("ACCOUNT %s %s %s" % (location, tp, "created" if status == 201 else "existing"))
            return
        kid = prot.get("kid")
        if not isinstance(kid, str):
            return
        if path == key_change and status == 200:
            inner = parse_jws(payload)
            if inner is None or not isinstance(inner[0].get("jwk"), dict):
                log("keyChange: no inner JWS with a jwk")
                return
            try:
                tp = jwk_thumbprint(inner[0]["jwk"])
            except ValueError as e:
                log("keyChange: %s" % e)
                return
            with st.lock:
                acct = st.accounts.setdefault(kid, {"thumbprints": [], "deactivated": False})
                if tp not in acct["thumbprints"]:
                    acct["thumbprints"].append(tp)
                n = len(acct["thumbprints"])
                st.key_changed[kid] = time.time()
                st.save_locked()
            st.write_log("KEYCHANGE %s %s (%d keys)" % (kid, tp, n))
            return
        if (isinstance(pj, dict) and pj.get("status") == "deactivated"
                and urllib.parse.urlsplit(kid).path == path):
            with st.lock:
                acct = st.accounts.setdefault(kid, {"thumbprints": [], "deactivated": False})
                acct["deactivated"] = True
                st.save_locked()
            st.write_log("DEACTIVATED %s" % kid)

    # -- validation

    def validate(self, mode, ident, wildcard, kid):
        """None when a record authorizes the account, else the reason."""
        st = self.state
        if not isinstance(kid, str) or not kid:
            return "malformed: challenge POST not signed with an account kid"
        with st.lock:
            acct = st.accounts.get(kid)
            thumbprints = list(acct["thumbprints"]) if acct else []
            deactivated = bool(acct and acct["deactivated"])
        if deactivated:
            return "account %s is deactivated" % kid
        if mode == "02":
            issuers = st.issuer_names()
            if not thumbprints:
                return "account %s is unknown to this CA proxy (no key seen)" % kid
            prefix = "https://%s/account-hash/sha-256/" % self.host()
            domain = normalize_issuer(ident)  # lowercase, no trailing dot
            accepted = set()
            for d in (domain, "*"):
                for tp in thumbprints:
                    accepted.add(prefix + account_hash(d, tp, kid))
            expected = prefix + account_hash(domain, thumbprints[-1], kid)
        else:
            issuers = st.caa_identities()
            expected = self.alias(kid) if st.args.account_uri_prefix else kid
            accepted = {expected}
        issuers = {normalize_issuer(i) for i in issuers}

        qname = "_validation-persist." + ident.rstrip(".")
        records, err = lookup_txt(st.args.dns_host, st.args.dns_port, qname)
        if err is not None:
            return err
        if not records:
            return "No TXT record found for DNS-PERSIST-01 challenge"
        now = int(time.time())
        syntax, auth = [], []
        for rec in records:
            try:
                issuer, params = parse_record(rec)
            except Malformed as e:
                issuer, msg = e.args
                if issuer in issuers:
                    syntax.append("Parsing DNS-PERSIST-01 challenge TXT record with issuer-domain-name %s: %s"
                                  % (json.dumps(issuer), msg))
                continue
            if issuer not in issuers:
                continue
            prefix = "Checking DNS-PERSIST-01 challenge TXT record with issuer-domain-name %s: " % json.dumps(issuer)
            if params["accounturi"] not in accepted:
                auth.append(prefix + "accounturi mismatch: expected %s, got %s"
                            % (json.dumps(expected), json.dumps(params["accounturi"])))
                continue
            if wildcard and params.get("policy", "").lower() != "wildcard":
                auth.append(prefix + "policy mismatch: expected \"wildcard\", got %s"
                            % json.dumps(params.get("policy", "")))
                continue
            pu = params.get("persistuntil")
            if pu is not None and now > int(pu):
                auth.append(prefix + "persistUntil %s (%s) has passed: validation time %s"
                            % (pu, fmt_time(int(pu)), fmt_time(now)))
                continue
            return None
        if syntax:
            return "malformed: " + "; ".join(syntax)
        if auth:
            return "; ".join(auth)
        return "No valid TXT record found for DNS-PERSIST-01 challenge"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, addr, handler, ctx):
        self.ctx = ctx
        super().__init__(addr, handler)

    def finish_request(self, request, client_address):
        # TLS handshake here, in the request's thread, so a slow client never blocks accept().
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("TLS handshake with %s failed: %s" % (client_address[0], e))
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        log("unhandled error for %s:\n%s" % (client_address, traceback.format_exc()))


# --- self test ----------------------------------------------------------------------------------

def self_test():
    failures = []

    def check(name, got, want):
        if got != want:
            failures.append("%s: got %r, want %r" % (name, got, want))

    tp = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    check("hash example.com", account_hash("example.com", tp, "https://ca.example/acct/123"),
          "5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw")
    check("hash *", account_hash("*", tp, "https://ca.example/acct/123"),
          "NpDnSwUthQK8zCgFdefYxAdAVPnygMLbs9US6oO-5ug")
    # RFC 7638 section 3.1 example
    rsa = {"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
           "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRX"
                "jBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaS"
                "qzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksIN"
                "HaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
    check("RFC 7638 thumbprint", jwk_thumbprint(rsa), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")

    def perr(rec):
        try:
            return parse_record(rec)
        except Malformed as e:
            return ("malformed",) + e.args

    check("parse ok", perr(" CA.Example. ;\taccounturi=https://a/1 ; Policy=WILDCARD;persistUntil=5; foo=bar"),
          ("ca.example", {"accounturi": "https://a/1", "policy": "WILDCARD", "persistuntil": "5"}))
    check("trailing ;", perr("ca.example; accounturi=x;")[0:2], ("malformed", "ca.example"))
    check("empty param", perr("ca.example;; accounturi=x")[0], "malformed")
    check("dup tag", perr("ca.example; accounturi=x; AccountURI=y")[0], "malformed")
    check("dup unknown tag ignored", perr("ca.example; accounturi=x; a=1; a=2")[0], "ca.example")
    check("space in value", perr("ca.example; accounturi=x y")[0], "malformed")
    check("; 0x3B impossible, 0x7F bad", perr("ca.example; accounturi=x\x7f")[0], "malformed")
    check("persistUntil digits", perr("ca.example; accounturi=x; persistUntil=-1")[0], "malformed")
    check("no accounturi", perr("ca.example; policy=wildcard")[0], "malformed")
    check("no =", perr("ca.example; accounturi")[0], "malformed")
    check("empty tag", perr("ca.example; =x; accounturi=y")[0], "malformed")
    check("dig strings", dig_unescape_strings(r'"a\"b" "c\\d" "\255\032x" plain'),
          [b'a"b', b"c\\d", b"\xff x", b"plain"])
    check("split_rr", split_rr('_v.x.test.\t60\tIN\tTXT\t"a; b" "c"'), ("_v.x.test.", "TXT", '"a; b" "c"'))
    check("split_rr cname", split_rr("_v.x.test. 60 IN CNAME y.test."), ("_v.x.test.", "CNAME", "y.test."))
    if failures:
        for f in failures:
            print("FAIL " + f)
        return 1
    print("self-test ok")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen")
    ap.add_argument("--upstream")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--dns", help="HOST:PORT of the recursive resolver the CA validates with")
    ap.add_argument("--mode-file")
    ap.add_argument("--log")
    ap.add_argument("--issuers", help="comma-separated directory issuerDomainNames (default: caaIdentities)")
    ap.add_argument("--challenge-issuers", help="comma-separated issuerDomainNames put in every -02 challenge")
    ap.add_argument("--with-accounturi", action="store_true",
                    help="mode 01: add accounturi (the requesting account) to challenges lacking it, as -01 does")
    ap.add_argument("--account-uri-prefix",
                    help="mode 01: challenges name the account PREFIX<id> (Boulder's accountURIPrefixes); records must too")
    ap.add_argument("--key-cache", type=float, default=0,
                    help="seconds after a keyChange during which the account's POSTs fail JWS verification")
    ap.add_argument("--key-cache-skip-account", action="store_true",
                    help="with --key-cache: POSTs to the account URL itself still pass")
    ap.add_argument("--state", help="JSON file keeping accounts and challenges across restarts")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    for k in ("listen", "upstream", "cert", "key", "dns", "mode_file", "log"):
        if not getattr(args, k):
            ap.error("--%s is required" % k.replace("_", "-"))
    args.dns_host, port = args.dns.rsplit(":", 1)
    args.dns_port = int(port)
    host, port = args.listen.rsplit(":", 1)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    ctx.set_alpn_protocols(["http/1.1"])
    Handler.state = State(args)
    srv = Server((host, int(port)), Handler, ctx)
    log("listening on https://%s, upstream https://%s, DNS %s, mode file %s"
        % (args.listen, args.upstream, args.dns, args.mode_file))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
