"""Render the nginx configuration and the app processes' settings from deploy/atlas.env.

    python3 deploy/render.py --settings /etc/atlas/atlas.env --site /etc/nginx/sites-available/atlas
    python3 deploy/render.py --settings /etc/atlas/atlas.env --instances /etc/atlas/instances
    python3 deploy/render.py --settings my.env --standalone /tmp/px/nginx.conf   # nginx -c ... -p ...

Settings are ``KEY=VALUE`` lines (``#`` comments); the environment overrides the file. Every key
and its default is in :data:`DEFAULTS` and in deploy/atlas.env.example. Needs only jinja2 (a
dependency of the app already).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import jinja2

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE / "nginx" / "atlas.conf.j2"

DEFAULTS: dict[str, str] = {
    "ATLAS_PUBLIC_SERVER_NAME": "atlas.example.gov",
    "ATLAS_PUBLIC_LISTEN": "",  # default: 443 with TLS, else 80
    "ATLAS_PUBLIC_PORTS": "8501 8502",
    "ATLAS_STAFF_SERVER_NAME": "atlas-staff.example.gov",
    "ATLAS_STAFF_LISTEN": "",
    "ATLAS_STAFF_PORTS": "8511",  # empty: no staff site at all
    "ATLAS_TLS_CERT": "",  # both set: TLS on, port 80 redirects, HSTS sent
    "ATLAS_TLS_KEY": "",
    "ATLAS_HSTS_SECONDS": "31536000",
    "ATLAS_FRAME_ANCESTORS": "'self'",  # e.g. "'self' https://www.city.gov" to allow embedding
    "ATLAS_REFERRER_POLICY": "strict-origin-when-cross-origin",
    "ATLAS_STAFF_UPLOAD_MB": "1",  # the triage page's ruleset upload (views/staff/triage.py)
    # "cookie": a route cookie the proxy sets (browsers behind one address spread over the
    # processes); "ip": ip_hash (no cookie; everyone behind one NAT lands on one process)
    "ATLAS_STICKY": "cookie",
    "ATLAS_FAIL_TIMEOUT": "10s",
    "ATLAS_ACCESS_LOG": "/var/log/nginx/atlas.access.log",
}

# The Content-Security-Policy: the app's own origin only. What Streamlit 1.67 and the map need
# beyond that, each found with tests/e2e/test_deploy_proxy.py (which fails on any report):
# - script-src 'wasm-unsafe-eval': Streamlit's protobuf decoder compiles WebAssembly.
# - script-src 'sha256-...': Streamlit's index.html carries one inline script
#   (``window.prerenderReady = false``); its hash is read from the installed Streamlit.
# - style-src 'unsafe-inline': Streamlit's styling (emotion, styled-components) inserts <style>
#   elements and plotly writes style attributes; neither takes a nonce.
# - img-src data:, font-src data:: icons, the emoji favicon and fonts inlined as data: URLs.
# - the map frame only (MAP_FRAME_PATH): script-src 'unsafe-inline', since streamlit-folium
#   runs each map's generated script by inserting it as an inline <script>.
STREAMLIT_INLINE_SCRIPT_HASHES = ("'sha256-THxz9J9+wf7rhwR2YkXJoSZ13UCmYyC+3lNDv2+8ugA='",)
MAP_FRAME_PATH = "/component/streamlit_folium.st_folium/"
CSP_PARTS = (
    ("default-src", "'self'"),
    ("script-src", "'self' 'wasm-unsafe-eval' {inline_hashes}"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("frame-src", "'self'"),
    ("worker-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
)
MAP_FRAME_SCRIPT = "'self' 'unsafe-inline'"
PUBLIC_BODY_LIMIT = "64k"  # a public page sends no bodies bigger than a few kilobytes


def read_settings(path: Path | None, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Defaults, then the file's ``KEY=VALUE`` lines, then the environment."""
    settings = dict(DEFAULTS)
    if path is not None:
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"{path}, line {number}: expected KEY=VALUE, got {raw!r}")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]  # the same file serves systemd's EnvironmentFile=
            settings[key.strip()] = value
    settings.update({k: v for k, v in environ.items() if k in DEFAULTS})
    return settings


def streamlit_inline_script_hashes() -> tuple[str, ...]:
    """CSP hashes of the inline scripts in the installed Streamlit's index.html.

    Falls back to the hashes of Streamlit 1.67 when Streamlit is not importable here.
    """
    try:
        import streamlit
    except ImportError:
        return STREAMLIT_INLINE_SCRIPT_HASHES
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    html = index.read_text(encoding="utf-8")
    bodies = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
    return tuple(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in bodies
    )


def content_security_policy(frame_ancestors: str, map_frame: bool = False) -> str:
    """The CSP header value with ``frame-ancestors`` from the settings.

    ``map_frame``: the policy of the map component's frame, whose script may be inline.
    """
    if not re.fullmatch(r"[A-Za-z0-9'*:/._ -]+", frame_ancestors or ""):
        raise ValueError(f"ATLAS_FRAME_ANCESTORS has characters a CSP source cannot: "
                         f"{frame_ancestors!r}")
    # a keyword whose quotes a settings file lost (self, none) is still the keyword
    frame_ancestors = " ".join(f"'{word}'" if word in ("self", "none") else word
                               for word in frame_ancestors.split())
    hashes = " ".join(streamlit_inline_script_hashes())
    parts = []
    for name, value in (*CSP_PARTS, ("frame-ancestors", frame_ancestors)):
        if name == "script-src":
            value = MAP_FRAME_SCRIPT if map_frame else value.format(inline_hashes=hashes)
        parts.append(f"{name} {value.strip()}")
    return "; ".join(parts)


def _ports(value: str, key: str) -> list[int]:
    try:
        return [int(p) for p in value.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"{key} must list port numbers, got {value!r}") from None


def site_plan(settings: Mapping[str, str]) -> list[dict]:
    """The public site, and the staff site when it has ports."""
    tls = bool(settings["ATLAS_TLS_CERT"] and settings["ATLAS_TLS_KEY"])
    upload_mb = int(settings["ATLAS_STAFF_UPLOAD_MB"])
    sites = []
    for name in ("public", "staff"):
        key = name.upper()
        ports = _ports(settings[f"ATLAS_{key}_PORTS"], f"ATLAS_{key}_PORTS")
        if not ports:
            if name == "public":
                raise ValueError("ATLAS_PUBLIC_PORTS lists no port")
            continue
        staff = name == "staff"
        sites.append({
            "name": name,
            "server_name": settings[f"ATLAS_{key}_SERVER_NAME"],
            "listen": settings[f"ATLAS_{key}_LISTEN"] or ("443" if tls else "80"),
            "http_listen": "80",
            "ports": ports,
            "uploads": staff,
            # the multipart framing around a file adds a little: one megabyte is plenty
            "body_limit": f"{upload_mb + 1}m" if staff else PUBLIC_BODY_LIMIT,
            "body_reason": (f"uploads up to {upload_mb} MB plus framing" if staff
                            else "no uploads on the public site"),
        })
    return sites


def render_site(settings: Mapping[str, str]) -> str:
    """The http-level nginx file (upstreams and servers)."""
    if settings["ATLAS_STICKY"] not in ("ip", "cookie"):
        raise ValueError(f"ATLAS_STICKY must be ip or cookie, got {settings['ATLAS_STICKY']!r}")
    tls = bool(settings["ATLAS_TLS_CERT"] and settings["ATLAS_TLS_KEY"])
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    template = env.from_string(TEMPLATE.read_text(encoding="utf-8"))
    return template.render(
        sites=site_plan(settings), tls=tls, tls_cert=settings["ATLAS_TLS_CERT"],
        tls_key=settings["ATLAS_TLS_KEY"], hsts_seconds=int(settings["ATLAS_HSTS_SECONDS"]),
        csp=content_security_policy(settings["ATLAS_FRAME_ANCESTORS"]),
        map_frame_csp=content_security_policy(settings["ATLAS_FRAME_ANCESTORS"], map_frame=True),
        map_frame_path=MAP_FRAME_PATH,
        referrer_policy=settings["ATLAS_REFERRER_POLICY"], sticky=settings["ATLAS_STICKY"],
        fail_timeout=settings["ATLAS_FAIL_TIMEOUT"], access_log=settings["ATLAS_ACCESS_LOG"],
    )


def render_standalone(settings: Mapping[str, str], prefix: Path) -> str:
    """A whole nginx.conf around the site, for ``nginx -c FILE -p PREFIX`` (tests, trials).

    Every file nginx writes (pid, logs, temporary bodies) is under ``prefix``.
    """
    site = render_site({**settings, "ATLAS_ACCESS_LOG": str(prefix / "access.log")})
    return f"""# Standalone nginx.conf for Community Response Atlas (rendered by deploy/render.py).
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 1024;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    sendfile on;
{site}}}
"""


def instance_env(settings: Mapping[str, str], site: str, port: int) -> dict[str, str]:
    """The environment of one app process (systemd ``atlas@<site>-<port>``)."""
    public = site == "public"
    return {
        "ATLAS_PORT": str(port),
        "ATLAS_PUBLIC_ONLY": "1" if public else "0",
        # 0 MB: the public process takes no upload at all, whatever a session sends
        "STREAMLIT_SERVER_MAX_UPLOAD_SIZE": "0" if public else settings["ATLAS_STAFF_UPLOAD_MB"],
    }


def write_instances(settings: Mapping[str, str], folder: Path) -> list[Path]:
    """One ``<site>-<port>.env`` per app process; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for site in site_plan(settings):
        for port in site["ports"]:
            target = folder / f"{site['name']}-{port}.env"
            env = instance_env(settings, site["name"], port)
            target.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", type=Path, help="KEY=VALUE file (deploy/atlas.env.example)")
    parser.add_argument("--site", type=Path, help="write the http-level nginx file here")
    parser.add_argument("--standalone", type=Path, help="write a whole nginx.conf here")
    parser.add_argument("--instances", type=Path, help="write <site>-<port>.env files here")
    args = parser.parse_args(argv)
    try:
        settings = read_settings(args.settings)
        if args.site:
            args.site.write_text(render_site(settings), encoding="utf-8")
        if args.standalone:
            args.standalone.write_text(
                render_standalone(settings, args.standalone.resolve().parent), encoding="utf-8")
        if args.instances:
            for path in write_instances(settings, args.instances):
                print(path)
        if not (args.site or args.standalone or args.instances):
            sys.stdout.write(render_site(settings))
    except (ValueError, OSError) as exc:
        print(f"render: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
