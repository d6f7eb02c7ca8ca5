"""TLS settings reach libzizq's rustls: ``tls={"ca", "client_cert",
"client_key"}`` as PEM text or file paths. Certificates come from the
openssl command (the test is skipped without it)."""

import os
import shutil
import subprocess
import tempfile
import unittest

from .support import TestServer, for_each_format, zizq

EXTENSIONS = {
    "ca": "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
    "server": "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    "client": "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=clientAuth\n",
}


class Certificates:
    """A throwaway CA with a server certificate (localhost, 127.0.0.1) and a
    client certificate, as PEM files in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="zizq-tls-")
        self._issue("ca", "/CN=zizq test CA", None)
        self._issue("server", "/CN=localhost", "ca")
        self._issue("client", "/CN=zizq test client", "ca")

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name)) as handle:
            return handle.read()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=self.dir)

    def _issue(self, name, subject, issuer):
        with open(self.path(f"{name}.ext"), "w") as handle:
            handle.write(EXTENSIONS[name])
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                      "-out", f"{name}-key.pem")
        self._openssl("req", "-new", "-key", f"{name}-key.pem", "-subj", subject,
                      "-out", f"{name}.csr")
        signing = (["-signkey", f"{name}-key.pem"] if issuer is None else
                   ["-CA", f"{issuer}.pem", "-CAkey", f"{issuer}-key.pem", "-set_serial",
                    str(abs(hash(name)) % 10**12 + 1)])
        self._openssl("x509", "-req", "-in", f"{name}.csr", *signing, "-days", "1",
                      "-extfile", f"{name}.ext", "-out", f"{name}.pem")


_CERTS = None


def certificates():
    global _CERTS
    if _CERTS is None:
        _CERTS = Certificates()
        import atexit

        atexit.register(_CERTS.remove)
    return _CERTS


@unittest.skipUnless(shutil.which("openssl"), "the openssl command is needed for certificates")
@for_each_format(globals())
class TlsTests:
    def setUp(self):
        super().setUp()
        self.certs = certificates()

    def start_tls_server(self, *args):
        self.require_own_server()
        server = TestServer.spawn("--tls-cert", self.certs.path("server.pem"), "--tls-key",
                                  self.certs.path("server-key.pem"), *args)
        self.addCleanup(server.stop)
        return server

    def assert_round_trip(self, client):
        """A request, and a take stream (its own HTTP/1.1 connection) with an ack."""
        self.assertEqual({"status": "ok"}, client.health())
        client.enqueue(queue="tls", type="t", payload={"secure": True})
        for job in client.take_jobs():
            self.assertEqual({"secure": True}, job.payload)
            client.ack(job.id)
            break
        self.assertEqual(0, client.count_jobs())

    def test_tls_server_with_pem_text(self):
        server = self.start_tls_server()
        self.assertTrue(server.url.startswith("https://"))
        by_pem = self.new_client(url=server.url, tls={"ca": self.certs.read("ca.pem")})
        self.assert_round_trip(by_pem)
        untrusting = self.new_client(url=server.url)
        with self.assertRaises(zizq.ConnectionError):
            untrusting.health()

    def test_mutual_tls_with_files(self):
        server = self.start_tls_server("--tls-client-ca", self.certs.path("ca.pem"))
        self.assert_round_trip(self.new_client(url=server.url, tls={
            "ca": self.certs.path("ca.pem"), "client_cert": self.certs.path("client.pem"),
            "client_key": self.certs.path("client-key.pem")}))
        anonymous = self.new_client(url=server.url, tls={"ca": self.certs.path("ca.pem")})
        with self.assertRaises(zizq.ConnectionError):
            anonymous.health()

    def test_https_to_a_plain_http_server_is_a_connection_error(self):
        plain = self.new_client(url=self.server.url.replace("http://", "https://"),
                                tls={"ca": self.certs.read("ca.pem")})
        with self.assertRaises(zizq.ConnectionError):
            plain.health()

    def test_bad_settings_are_refused(self):
        with self.assertRaises(ValueError) as caught:
            zizq.Client("https://127.0.0.1:1", tls={"ca": "/nonexistent/ca.pem"})
        self.assertIn('cannot read CA file "/nonexistent/ca.pem"', str(caught.exception))
        garbage = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
        with self.assertRaises(zizq.ConnectionError):  # ZIZQ_E_TLS
            zizq.Client("https://127.0.0.1:1", tls={"ca": garbage})
        with self.assertRaises(ValueError):
            zizq.Client("https://127.0.0.1:1", tls={"client_cert": self.certs.path("client.pem")})
        with self.assertRaises(ValueError):
            zizq.Client("https://127.0.0.1:1", tls={"colour": "red"})
        with self.assertRaises(TypeError):
            zizq.Client("https://127.0.0.1:1", tls="ca.pem")
