#!/usr/bin/env python3
"""A scripted, hostile IMAP server for the tests, on 127.0.0.1:PORT.

It serves the messages DIR/msgs/UID.eml of one folder (INBOX, and in mode
escfolder also a \\Sent folder whose name holds escape sequences) and
misbehaves as MODE says:

  normal      behaves (the reference)
  endless     answers the header FETCH with a line that never ends
              (BYTES bytes, default 600 MiB, without CRLF)
  hugeliteral announces a literal of 4,000,000,000 bytes and streams it
  repeat      answers the report-body FETCH of a bounce 500 times
              (256 KiB each)
  uids        EXAMINE says UIDNEXT 4294967295; the header FETCH also
              answers UIDs 999 and 4294967295 (not asked for) and sends
              FLAGS-only FETCH responses; SEARCH lists UID 50, which exists
              but is never delivered, and UID 60, which is gone
  escfolder   LIST names a \\Sent folder with ESC, BEL and a newline-like
              C1 byte in its name
  refuse      refuses every LOGIN and AUTHENTICATE, as for a wrong
              password or an expired OAuth2 token
  status      answers STATUS as the word in DIR/status says (read at
              each command): true (the truth; also without the file),
              other (about another folder), partial (without UIDNEXT),
              no (NO), bad (BAD), uidmax (UIDNEXT 4294967295), long (an
              answer of BYTES bytes); EXAMINE always tells the truth

Options: --tls CERT KEY serves implicit TLS; --tls-max 1.0|1.1|1.2 caps
the protocol version. Every command line received is appended to
DIR/commands.log (LOGIN lines included: the tests check that no password
reached a server that should have been refused). DIR/ready appears once
it listens. Runs until killed.
Usage: hostile_imap.py PORT DIR MODE [--tls CERT KEY] [--tls-max V] [--bytes N]
"""
import os
import re
import socket
import ssl
import sys
import threading
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

PORT, DIR, MODE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
args = sys.argv[4:]
TLS = None
TLS_MAX = None
BYTES = 600 << 20
while args:
    a = args.pop(0)
    if a == "--tls":
        TLS = (args.pop(0), args.pop(0))
    elif a == "--tls-max":
        TLS_MAX = args.pop(0)
    elif a == "--bytes":
        BYTES = int(args.pop(0))

ESC_FOLDER = "Sent\x1b]0;owned\x07\x1b[2J\x1b[31mred"


def messages():
    d = os.path.join(DIR, "msgs")
    out = {}
    for name in os.listdir(d):
        if name.endswith(".eml"):
            with open(os.path.join(d, name), "rb") as f:
                out[int(name[:-4])] = f.read()
    return out


def header_of(raw):
    i = raw.find(b"\r\n\r\n")
    j = raw.find(b"\n\n")
    if i >= 0 and (j < 0 or i < j):
        return raw[: i + 4]
    if j >= 0:
        return raw[: j + 2]
    return raw


def body_of(raw):
    h = header_of(raw)
    return raw[len(h):]


def parse_set(s, highest, universe):
    """The UIDs of universe in an IMAP sequence set, "*" being highest
    (so "n:*" names the highest UID even when n is above it)."""
    ranges = []
    for part in s.split(","):
        ends = [highest if e == "*" else int(e) for e in part.split(":")]
        ranges.append((min(ends), max(ends)))
    return {u for u in universe if any(lo <= u <= hi for lo, hi in ranges)}


class Conn:
    def __init__(self, sock):
        self.s = sock
        self.buf = b""
        self.folder = None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        ln, self.buf = self.buf.split(b"\r\n", 1)
        # a literal from the client: {n} then n bytes, rest of the line
        m = re.search(rb"\{(\d+)\+?\}$", ln)
        while m:
            n = int(m.group(1))
            if not ln.endswith(b"+}"):
                self.send("+ go\r\n")
            while len(self.buf) < n:
                d = self.s.recv(65536)
                if not d:
                    raise EOFError
                self.buf += d
            ln = ln[: m.start()] + b'"' + self.buf[:n] + b'"'
            self.buf = self.buf[n:]
            while b"\r\n" not in self.buf:
                d = self.s.recv(65536)
                if not d:
                    raise EOFError
                self.buf += d
            rest, self.buf = self.buf.split(b"\r\n", 1)
            ln += rest
            m = re.search(rb"\{(\d+)\+?\}$", ln)
        with open(os.path.join(DIR, "commands.log"), "ab") as f:
            f.write(ln + b"\n")
        return ln.decode("latin-1")

    def run(self):
        self.send("* OK [CAPABILITY IMAP4rev1 IDLE] hostile ready\r\n")
        while True:
            ln = self.line()
            tag, _, rest = ln.partition(" ")
            cmd, _, arg = rest.partition(" ")
            cmd = cmd.upper()
            if cmd == "UID":
                sub, _, arg = arg.partition(" ")
                cmd = "UID " + sub.upper()
            h = getattr(self, "do_" + cmd.replace(" ", "_"), None)
            if h is None:
                self.send("%s BAD unknown command\r\n" % tag)
                continue
            if h(tag, arg) == "close":
                return

    def do_CAPABILITY(self, tag, arg):
        extra = " AUTH=XOAUTH2 SASL-IR" if MODE == "refuse" else ""
        self.send("* CAPABILITY IMAP4rev1 IDLE%s\r\n%s OK done\r\n" % (extra, tag))

    def do_AUTHENTICATE(self, tag, arg):
        self.send("%s NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n" % tag)

    def do_LOGIN(self, tag, arg):
        if MODE == "refuse":
            self.send("%s NO [AUTHENTICATIONFAILED] Authentication failed.\r\n" % tag)
            return
        self.send("%s OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n" % tag)

    def do_LOGOUT(self, tag, arg):
        self.send("* BYE\r\n%s OK bye\r\n" % tag)
        return "close"

    def do_NOOP(self, tag, arg):
        self.send("%s OK\r\n" % tag)

    def do_LIST(self, tag, arg):
        self.send('* LIST (\\HasNoChildren) "/" INBOX\r\n')
        if MODE == "escfolder":
            self.send('* LIST (\\HasNoChildren \\Sent) "/" "%s"\r\n' % ESC_FOLDER)
        self.send("%s OK listed\r\n" % tag)

    def do_EXAMINE(self, tag, arg):
        self.folder = arg.strip('"')
        msgs = messages()
        uidnext = 4294967295 if MODE == "uids" else (max(msgs) + 1 if msgs else 1)
        self.send("* %d EXISTS\r\n* 0 RECENT\r\n" % len(msgs))
        self.send("* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT %d] n\r\n" % uidnext)
        self.send("* FLAGS (\\Seen)\r\n%s OK [READ-ONLY] examined\r\n" % tag)

    do_SELECT = do_EXAMINE

    def do_STATUS(self, tag, arg):
        name = arg.split(" ", 1)[0].strip('"')
        msgs = messages()
        uidnext = max(msgs) + 1 if msgs else 1
        how = "true"
        if MODE == "status" and os.path.exists(os.path.join(DIR, "status")):
            with open(os.path.join(DIR, "status")) as f:
                how = f.read().strip()
        if how == "no":
            self.send("%s NO [UNAVAILABLE] not now\r\n" % tag)
            return
        if how == "bad":
            self.send("%s BAD no such command here\r\n" % tag)
            return
        if how == "long":
            self.send('* STATUS "%s" (MESSAGES %d UIDNEXT %d UIDVALIDITY 7 X-PAD "'
                      % (name, len(msgs), uidnext))
            self.flood()
            return "close"
        items = {"MESSAGES": len(msgs), "UIDNEXT": uidnext, "UIDVALIDITY": 7}
        if how == "other":
            name = "Elsewhere"
        elif how == "partial":
            del items["UIDNEXT"]
        elif how == "uidmax":
            items["UIDNEXT"] = 4294967295
        self.send('* STATUS "%s" (%s)\r\n%s OK status\r\n'
                  % (name, " ".join("%s %d" % kv for kv in items.items()), tag))

    def do_UID_SEARCH(self, tag, arg):
        msgs = messages()
        listed = set(msgs)
        if MODE == "uids":
            listed |= {50, 60}
        highest = max(listed) if listed else 0
        m = re.search(r"UID ([0-9:*,]+)", arg, re.I)
        if m:
            # UID 60 is listed, but gone when asked about by number
            found = sorted(u for u in parse_set(m.group(1), highest, listed)
                           if not (u == 60 and ":" not in m.group(1)))
        else:
            found = sorted(listed)
        self.send("* SEARCH%s\r\n%s OK searched\r\n" % ("".join(" %d" % u for u in found), tag))

    def do_UID_FETCH(self, tag, arg):
        msgs = messages()
        m = re.match(r"([0-9:*,]+) (.*)$", arg)
        uids = parse_set(m.group(1), max(msgs) if msgs else 0,
                         set(msgs) | {999, 4294967295, 50})
        items = m.group(2)
        sec = re.search(r"BODY\.PEEK\[([^\]]*)\]", items, re.I)
        section = sec.group(1) if sec else ""
        body_pass = section.upper() == "TEXT"
        seq = {u: i + 1 for i, u in enumerate(sorted(msgs))}
        if MODE == "uids" and not body_pass:
            # FLAGS only, for one asked for (before its real answer) and
            # one not asked for
            first = min(uids & set(msgs)) if uids & set(msgs) else 1
            self.send("* %d FETCH (UID %d FLAGS (\\Seen))\r\n" % (seq.get(first, 1), first))
            self.send("* 1 FETCH (UID 77777 FLAGS (\\Seen))\r\n")
        for u in sorted(uids):
            if u not in msgs:
                continue
            raw = msgs[u]
            if MODE in ("endless", "hugeliteral") and not body_pass:
                # a quoted string that never ends, or a literal of 4 GB
                opener = '"' if MODE == "endless" else "{4000000000}\r\n"
                self.send("* %d FETCH (UID %d BODY[%s]<0> %s" % (seq[u], u, section, opener))
                self.flood()
                return "close"
            data = body_of(raw)[:262144] if body_pass else header_of(raw)
            times = 500 if MODE == "repeat" and body_pass else 1
            if times > 1:
                data = (data * (262144 // max(len(data), 1) + 1))[:262144]
            for _ in range(times):
                self.send('* %d FETCH (UID %d INTERNALDATE "01-Nov-2026 10:00:00 +0000" '
                          "BODY[%s]<0> {%d}\r\n" % (seq[u], u, section, len(data)))
                self.send(data)
                self.send(")\r\n")
        if MODE == "uids" and not body_pass:
            fake = b"From: ghost@evil.example\r\nMessage-ID: <ghost%d@evil.example>\r\n\r\n"
            for u in (999, 4294967295):
                d = fake % u
                self.send('* 1 FETCH (UID %d INTERNALDATE "01-Nov-2026 10:00:00 +0000" '
                          "BODY[%s]<0> {%d}\r\n" % (u, section, len(d)))
                self.send(d)
                self.send(")\r\n")
        self.send("%s OK fetched\r\n" % tag)

    def flood(self):
        """BYTES bytes without a line end, until the client gives up."""
        chunk, sent = b"x" * 65536, 0
        try:
            while sent < BYTES:
                self.s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass

    def do_IDLE(self, tag, arg):
        self.send("+ idling\r\n")
        self.line()  # DONE
        self.send("%s OK idle done\r\n" % tag)


def serve(sock):
    try:
        if TLS:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*TLS)
            if TLS_MAX:
                v = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
                     "1.2": ssl.TLSVersion.TLSv1_2}[TLS_MAX]
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.maximum_version = v
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            sock = ctx.wrap_socket(sock, server_side=True)
        Conn(sock).run()
    except (EOFError, OSError, ssl.SSLError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", PORT))
    srv.listen(8)
    open(os.path.join(DIR, "ready"), "w").close()
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
