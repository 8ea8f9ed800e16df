"""`make certs`: a local CA plus a server and a client certificate for gRPC (m)TLS.

Writes PEM files under a folder (default .run/certs): ca.crt / ca.key, server.crt / server.key
(SANs: localhost, 127.0.0.1, ::1 and any --host given), client.crt / client.key, and services/<service>.crt / .key for every service of the catalogue
(URI SAN spiffe://lammesh.local/ns/<namespace>/sa/<service>: the identity servers authorise by,
lammesh.identity; DNS SANs localhost and the service's Kubernetes names). The server
certificate is also good for client authentication, so one service certificate serves both
its server and its outgoing (mTLS) channels. Keys are ECDSA P-256, written 0600.
For local use and tests only: in Kubernetes the files come from Secrets (e.g. cert-manager).

    python -m lammesh.dev.certs --out .run/certs [--host gateway --host injection ...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lammesh.identity import DEFAULT_NAMESPACE, spiffe_id

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertSet:
    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.folder / "server.key"

    @property
    def client_cert(self) -> Path:
        return self.folder / "client.crt"

    @property
    def client_key(self) -> Path:
        return self.folder / "client.key"

    def service_cert(self, service: str) -> Path:
        """The certificate of one service: its identity (a SPIFFE URI SAN) and its DNS names."""
        return self.folder / "services" / f"{service}.crt"

    def service_key(self, service: str) -> Path:
        return self.folder / "services" / f"{service}.key"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "LAM Mesh (local)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(hosts: tuple[str, ...], uris: tuple[str, ...] = ()) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri) for uri in uris]
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _issue(
    subject: str,
    issuer_name: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    days: int,
    usages: list[x509.ObjectIdentifier],
    hosts: tuple[str, ...] = (),
    ca_key: ec.EllipticCurvePrivateKey | None = None,
    uris: tuple[str, ...] = (),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca_key is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    if hosts or uris:
        builder = builder.add_extension(_san(hosts, uris), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def service_hosts(service: str, namespace: str = DEFAULT_NAMESPACE) -> tuple[str, ...]:
    """DNS names a service's server answers to: local, and its Kubernetes Service names."""
    return (
        *DEFAULT_HOSTS,
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.cluster.local",
    )


def make_certs(
    folder: Path,
    hosts: tuple[str, ...] = (),
    days: int = 365,
    client_name: str = "lammesh-client",
    services: tuple[str, ...] = (),
    namespace: str = DEFAULT_NAMESPACE,
) -> CertSet:
    """A fresh CA, server and client certificate under `folder` (replacing what is there), and one
    certificate per name in `services` (services/<name>.crt/.key) whose URI SAN is its identity."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("LAM Mesh local CA")
    now = dt.datetime.now(dt.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_encipherment=False,
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    certs = CertSet(folder)
    _write_cert(certs.ca, ca)
    _write_key(folder / "ca.key", ca_key)
    server, server_key = _issue(
        "lammesh-server",
        ca_name,
        ca_key,
        days,
        [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        hosts=(*DEFAULT_HOSTS, *hosts),
        ca_key=ca_key,
    )
    _write_cert(certs.server_cert, server)
    _write_key(certs.server_key, server_key)
    client, client_key = _issue(client_name, ca_name, ca_key, days, [ExtendedKeyUsageOID.CLIENT_AUTH], ca_key=ca_key)
    _write_cert(certs.client_cert, client)
    _write_key(certs.client_key, client_key)
    if services:
        (folder / "services").mkdir(exist_ok=True)
    for service in services:
        cert, key = _issue(
            service,
            ca_name,
            ca_key,
            days,
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            hosts=(*service_hosts(service, namespace), *hosts),
            ca_key=ca_key,
            uris=(spiffe_id(service, namespace),),
        )
        _write_cert(certs.service_cert(service), cert)
        _write_key(certs.service_key(service), key)
    return certs


def catalogue_services() -> tuple[str, ...]:
    from lammesh.catalogue import load_services  # the installed catalogues (entry points)

    return tuple(sorted(load_services()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(".run/certs"))
    parser.add_argument("--host", action="append", default=[], help="Extra server name (DNS or IP) for the SANs.")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--namespace", default=DEFAULT_NAMESPACE, help="Namespace in the services' identities.")
    args = parser.parse_args(argv)
    services = catalogue_services()
    certs = make_certs(args.out, tuple(args.host), args.days, services=services, namespace=args.namespace)
    print(
        f"per service ({len(services)}): {certs.folder / 'services'}/<service>.crt / .key, identity "
        f"{spiffe_id('<service>', args.namespace)}"
    )
    print(
        f"CA {certs.ca}\nserver {certs.server_cert} / {certs.server_key} (SANs: {', '.join((*DEFAULT_HOSTS, *args.host))})\n"
        f"client {certs.client_cert} / {certs.client_key}\n"
        f"serve:   LAMMESH_GRPC_TLS_CERT={certs.server_cert} LAMMESH_GRPC_TLS_KEY={certs.server_key} "
        f"LAMMESH_GRPC_TLS_CA={certs.ca} [LAMMESH_GRPC_MTLS=true]\n"
        f"connect: LAMMESH_GRPC_TLS_CA={certs.ca} [LAMMESH_GRPC_TLS_CERT={certs.client_cert} LAMMESH_GRPC_TLS_KEY={certs.client_key}]"
    )


if __name__ == "__main__":
    main()
