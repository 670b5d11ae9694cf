"""Test PKI made with the openssl CLI: a CA and a server certificate for the TLS origin."""

import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

SAN = "DNS:localhost,DNS:origin.test,DNS:tls.test,IP:127.0.0.1,IP:::1"


@dataclass
class TestPKI:
    dir: Path
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path

    def server_context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(self.cert), str(self.key))
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def client_context(self):
        ctx = ssl.create_default_context(cafile=str(self.ca_cert))
        return ctx


def _run(*args, cwd):
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {p.stderr}")


def make_pki(d):
    d = Path(d)
    d.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3",
         "-subj", "/CN=pipelock integration test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
         cwd=d)
    (d / "ext.cnf").write_text(
        f"subjectAltName={SAN}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n")
    _run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "3", "-extfile", "ext.cnf", cwd=d)
    return TestPKI(dir=d, ca_cert=d / "ca.pem", ca_key=d / "ca.key", cert=d / "server.pem",
                   key=d / "server.key")
