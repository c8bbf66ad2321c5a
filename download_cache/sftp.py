"""One SFTP session per thread over a shared SSH connection: paramiko's SFTP client is not thread-safe."""

from __future__ import annotations

import base64
import hashlib
import stat
import threading
from pathlib import Path
from typing import Any

import paramiko

from .errors import UnknownHostKey

SFTP_PROTOCOLS = ("sftp://", "ssh://")


class KnownHostsPolicy(paramiko.MissingHostKeyPolicy):
    """Accept a server only if its host key is listed in a known_hosts file (no trust on first use).

    fsspec's SFTP file system loads no host keys, so paramiko asks this policy about every
    server: it is the check, and an unlisted or changed key refuses the connection.
    """

    def __init__(self, known_hosts: str | Path) -> None:
        self.path = Path(known_hosts).expanduser()
        self.keys = paramiko.HostKeys()
        if self.path.is_file():
            self.keys.load(str(self.path))

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        """Return when the key is known for the host; raise UnknownHostKey otherwise."""
        if (self.keys.lookup(hostname) or {}).get(key.get_name()) == key:
            return
        fingerprint = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
        raise UnknownHostKey(hostname, str(self.path), fingerprint)


def storage_options(url: str, ssh_key: str | None, known_hosts: str | Path) -> dict[str, Any]:
    """Return fsspec options for a source or target URL: for SFTP, the key and the host check."""
    if not url.startswith(SFTP_PROTOCOLS):
        return {}
    options: dict[str, Any] = {"host_key_policy": KnownHostsPolicy(known_hosts)}
    if ssh_key:
        options.update(key_filename=ssh_key, look_for_keys=False, allow_agent=False)
    return options


class ThreadSFTP:
    """Open an SFTP channel per thread on the SSH connection of an fsspec SFTP file system."""

    def __init__(self, fs: Any) -> None:
        self.fs = fs
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []

    def get(self) -> Any:
        """Return this thread's SFTP client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self.fs.client.open_sftp()
            self._local.client = client
            with self._lock:
                self._opened.append(client)
        return client

    def close(self) -> None:
        """Close every channel opened so far."""
        with self._lock:
            opened, self._opened = self._opened, []
        for client in opened:
            client.close()
        self._local = threading.local()


def kind(mode: int | None) -> str:
    """Return fsspec's type name for a stat mode."""
    if mode is None:
        return "other"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "other"
