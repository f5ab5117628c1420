"""Optional signatures over a bundle's manifest with OpenSSH (``ssh-keygen -Y sign/verify``).

The signature namespace is ``harborwatch-bundle``, so a signature made for anything else (a git
commit, a file) cannot be passed off as a bundle's. A reader verifies against an
``allowed_signers`` file (``ssh-keygen(1)``, section ALLOWED SIGNERS) naming whom they trust.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from harborwatch.core.errors import HarborwatchError, InputFileError

NAMESPACE = "harborwatch-bundle"


def _ssh_keygen() -> str:
    exe = shutil.which("ssh-keygen")
    if exe is None:
        raise HarborwatchError("ssh-keygen is not installed; it signs and verifies bundles",
                               hint="install OpenSSH (Debian: apt install openssh-client)")
    return exe


def sign(data: bytes, key: Path) -> bytes:
    """An SSH signature of ``data`` with the private key file ``key``."""
    if not Path(key).exists():
        raise InputFileError(f"{key}: no such key file")
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "manifest.json"
        f.write_bytes(data)
        r = subprocess.run([_ssh_keygen(), "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(f)],
                           check=False, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            why = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f"exit {r.returncode}"
            raise HarborwatchError(f"{key}: cannot sign: {why}")
        return (Path(d) / "manifest.json.sig").read_bytes()


def verify(data: bytes, signature: bytes, allowed_signers: Path) -> str:
    """The principal whose key made ``signature`` over ``data``, per ``allowed_signers``;
    raises :class:`HarborwatchError` when none of them did."""
    if not Path(allowed_signers).exists():
        raise InputFileError(f"{allowed_signers}: no such allowed-signers file")
    principals = [ln.split()[0] for ln in Path(allowed_signers).read_text().splitlines()
                  if ln.strip() and not ln.lstrip().startswith("#")]
    with tempfile.TemporaryDirectory() as d:
        sig = Path(d) / "manifest.json.sig"
        sig.write_bytes(signature)
        for who in principals:
            r = subprocess.run([_ssh_keygen(), "-Y", "verify", "-f", str(allowed_signers), "-I", who,
                                "-n", NAMESPACE, "-s", str(sig)], check=False, input=data,
                               capture_output=True)
            if r.returncode == 0:
                return who
    raise HarborwatchError("manifest.json.sig: not a valid signature by anyone in " + str(allowed_signers))


__all__ = ["NAMESPACE", "sign", "verify"]
