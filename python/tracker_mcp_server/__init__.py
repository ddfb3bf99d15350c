"""The `tracker-mcp-server` command: runs the `tracker-mcp` binary that this wheel installs.

The wheel's distribution is `tracker-mcp-server` (`tracker-mcp` on PyPI is another project),
and MCP registry clients run a PyPI server as `uvx <distribution>`. This entry point makes that
work; `uvx --from tracker-mcp-server tracker-mcp` runs the binary directly.
"""

import os
import subprocess
import sys
import sysconfig


def _binary() -> str:
    name = "tracker-mcp.exe" if sys.platform == "win32" else "tracker-mcp"
    # Both commands are installed into the same scripts directory: the one of the running
    # interpreter's environment (venv, uvx, pipx), or the user scheme with `pip --user`.
    schemes = [sysconfig.get_path("scripts")]
    for user in ("posix_user", "nt_user", "osx_framework_user"):
        if user in sysconfig.get_scheme_names():
            schemes.append(sysconfig.get_path("scripts", scheme=user))
    for directory in schemes:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise SystemExit(f"tracker-mcp-server: {name} is not installed next to this command (looked in {schemes})")


def main() -> None:
    binary = _binary()
    if sys.platform == "win32":
        # Windows has no exec: run the binary with this process's stdio and pass its exit code on.
        try:
            sys.exit(subprocess.call([binary, *sys.argv[1:]]))
        except KeyboardInterrupt:
            sys.exit(130)
    # Elsewhere, become the binary: the client then talks to it directly and signals reach it.
    os.execv(binary, [binary, *sys.argv[1:]])
