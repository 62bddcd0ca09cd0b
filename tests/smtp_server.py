#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd) on 127.0.0.1:PORT. Each
accepted message is written to OUTDIR/N.eml (envelope in N.env). While
OUTDIR/refuse exists, DATA is answered 451 (try again later). With
"auth", it offers AUTH without STARTTLS (as a careless relay would) and
appends every login and password it is given to OUTDIR/auth.log.
Runs until killed. Usage: smtp_server.py PORT OUTDIR [auth]"""
import os
import sys
import time

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(self.out, "refuse")):
            with open(os.path.join(self.out, "refused"), "a") as f:
                f.write("refused\n")
            return "451 4.3.0 try again later"
        self.n += 1
        base = os.path.join(self.out, "%d" % self.n)
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env", "w") as f:
            f.write("from %s\nto %s\n" % (envelope.mail_from, " ".join(envelope.rcpt_tos)))
        return "250 OK"


def recorder(out):
    from aiosmtpd.smtp import AuthResult

    def check(server, session, envelope, mechanism, auth_data):
        with open(os.path.join(out, "auth.log"), "a") as f:
            f.write("%s %r\n" % (mechanism, auth_data))
        return AuthResult(success=True)
    return check


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    if sys.argv[3:] == ["auth"]:
        c = Controller(Handler(out), hostname="127.0.0.1", port=port,
                       authenticator=recorder(out), auth_require_tls=False)
    else:
        c = Controller(Handler(out), hostname="127.0.0.1", port=port)
    c.start()
    open(os.path.join(out, "ready"), "w").close()
    try:
        while True:
            time.sleep(3600)
    finally:
        c.stop()


if __name__ == "__main__":
    main()
