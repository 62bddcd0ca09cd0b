#!/usr/bin/env python3
"""An HTTPS server for the webhook tests on 127.0.0.1:PORT with the given
certificate (plain HTTP when CERT is "-"). Each POST body is written to
OUTDIR/N.json and answered 200. MAXTLS (1.0 or 1.1) caps the TLS version.
Usage: http_server.py PORT OUTDIR CERT KEY [MAXTLS]"""
import http.server
import os
import ssl
import sys

COUNT = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        COUNT[0] += 1
        out = sys.argv[2]
        with open(os.path.join(out, "%d.json" % COUNT[0]), "wb") as f:
            f.write(body)
        with open(os.path.join(out, "%d.hdr" % COUNT[0]), "w") as f:
            f.write(str(self.headers))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *a):
        pass


def main():
    port, out, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
    if cert != "-":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if len(sys.argv) > 5:
            import warnings
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = {"1.0": ssl.TLSVersion.TLSv1,
                                   "1.1": ssl.TLSVersion.TLSv1_1}[sys.argv[5]]
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    open(os.path.join(out, "ready"), "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
