"""The deployment of deploy/ on loopback: app processes behind Debian's nginx, for tests and load.

:func:`run_deployment` starts the public and staff app processes (with the same settings the
systemd units give them, from ``deploy/render.py``), renders a standalone nginx.conf for their
ports and runs ``nginx -c <conf> -p <dir>`` in the foreground on free ports; everything stops when
the block ends. Loopback only.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from response_atlas.appserver import (
    AppServer,
    free_port,
    run_app_server,
    stop_process,
    wait_healthy,
)
from response_atlas.config import PROJECT_ROOT

RENDER_SCRIPT = PROJECT_ROOT / "deploy" / "render.py"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")
PROXY_TIMEOUT_S = 20


@dataclass(frozen=True)
class Deployment:
    public_url: str
    staff_url: str
    public: tuple[AppServer, ...]
    staff: tuple[AppServer, ...]
    proxy: subprocess.Popen
    proxy_dir: Path

    def upstreams(self, path: str) -> list[str]:
        """``host:port`` of the app process that answered each logged request for ``path``
        (the last one tried, when nginx moved on from a dead one)."""
        log = self.proxy_dir / "access.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return [line.rsplit("upstream=", 1)[1].rsplit(" ", 1)[0].split(", ")[-1]
                for line in lines if f" {path} " in line or f" {path}?" in line]


def load_render() -> ModuleType:
    """deploy/render.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("atlas_deploy_render", RENDER_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def find_nginx() -> str | None:
    """The nginx binary, or None when it is not installed."""
    return shutil.which("nginx") or next((p for p in NGINX_CANDIDATES if Path(p).exists()), None)


def install_nginx() -> str | None:
    """Debian's nginx, installed with apt when missing and we are root; None otherwise."""
    found = find_nginx()
    if found or os.geteuid() != 0:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    # --no-install-recommends: the binary and mime.types; the package's own service is not needed
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "nginx"],
                   check=True, env=env, capture_output=True)
    return find_nginx()


@contextmanager
def run_proxy(settings: dict[str, str], work: Path, nginx: str) -> Iterator[subprocess.Popen]:
    """nginx in the foreground on a standalone conf rendered from ``settings``."""
    render = load_render()
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(render.render_standalone(render.read_settings(None, settings), work),
                    encoding="utf-8")
    log = work / "nginx.out"
    with log.open("w") as out:
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop_process(proc)


def _start_apps(stack: ExitStack, render: ModuleType, site: str, count: int, data_dir: Path,
                work: Path, extra_env: dict[str, str]) -> tuple[AppServer, ...]:
    servers = []
    for i in range(count):
        env = {**render.instance_env(render.DEFAULTS, site, 0), **extra_env}
        env.pop("ATLAS_PORT")  # run_app_server picks a free port itself
        log = work / f"{site}-{i}.log"
        servers.append(stack.enter_context(run_app_server(data_dir, log, env)))
    return tuple(servers)


@contextmanager
def run_deployment(data_dir: Path, work: Path, nginx: str, public: int = 2, staff: int = 1,
                   app_env: dict[str, str] | None = None,
                   settings: dict[str, str] | None = None) -> Iterator[Deployment]:
    """``public`` public and ``staff`` staff processes behind one nginx; all stopped afterwards.

    ``app_env`` goes to every app process (a public one still has no staff pages or sign-in).
    """
    render = load_render()
    with ExitStack() as stack:
        public_servers = _start_apps(stack, render, "public", public, data_dir, work,
                                     app_env or {})
        staff_servers = _start_apps(stack, render, "staff", staff, data_dir, work, app_env or {})
        public_port, staff_port = free_port(), free_port()
        chosen = {
            "ATLAS_PUBLIC_LISTEN": f"127.0.0.1:{public_port}",
            "ATLAS_STAFF_LISTEN": f"127.0.0.1:{staff_port}",
            "ATLAS_PUBLIC_PORTS": " ".join(s.base_url.rsplit(":", 1)[1] for s in public_servers),
            "ATLAS_STAFF_PORTS": " ".join(s.base_url.rsplit(":", 1)[1] for s in staff_servers),
            **(settings or {}),
        }
        proxy_dir = work / "nginx"
        proxy = stack.enter_context(run_proxy(chosen, proxy_dir, nginx))
        public_url = f"http://127.0.0.1:{public_port}"
        staff_url = f"http://127.0.0.1:{staff_port}"
        # the app's health answer through the proxy (the processes behind it are healthy)
        wait_healthy(public_url, proxy, proxy_dir / "nginx.out", PROXY_TIMEOUT_S)
        if staff_servers:
            wait_healthy(staff_url, proxy, proxy_dir / "nginx.out", PROXY_TIMEOUT_S)
        yield Deployment(public_url, staff_url, public_servers, staff_servers, proxy, proxy_dir)
