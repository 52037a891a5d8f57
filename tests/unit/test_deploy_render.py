"""deploy/render.py: settings, the Content-Security-Policy, and the rendered nginx files."""

from __future__ import annotations

import subprocess

import pytest

from response_atlas.bench.proxy import find_nginx, load_render

render = load_render()


def test_settings_file_then_environment(tmp_path):
    path = tmp_path / "atlas.env"
    path.write_text("# comment\nATLAS_PUBLIC_PORTS=9001 9002\nATLAS_FRAME_ANCESTORS=\"'none'\"\n")
    settings = render.read_settings(path, {"ATLAS_PUBLIC_PORTS": "9100", "HOME": "/x"})
    assert settings["ATLAS_PUBLIC_PORTS"] == "9100"  # the environment wins
    assert settings["ATLAS_FRAME_ANCESTORS"] == "'none'"  # quotes as systemd reads them
    assert "HOME" not in settings
    path.write_text("ATLAS_PUBLIC_PORTS 9001\n")
    with pytest.raises(ValueError, match=r"atlas.env, line 1: expected KEY=VALUE"):
        render.read_settings(path, {})


def test_csp_allows_only_the_own_origin():
    csp = render.content_security_policy("'self' https://www.city.gov")
    directives = dict(part.split(" ", 1) for part in csp.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"].startswith("'self' 'wasm-unsafe-eval' 'sha256-")
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in directives["script-src"].replace("wasm-unsafe-eval", "")
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'self' https://www.city.gov"
    assert "http" not in csp.replace("https://www.city.gov", "")  # no other origin anywhere
    frame = dict(part.split(" ", 1) for part in
                 render.content_security_policy("'self'", map_frame=True).split("; "))
    assert frame["script-src"] == "'self' 'unsafe-inline'"  # the map frame only


def test_streamlit_inline_script_hash_matches_the_installed_index():
    assert render.streamlit_inline_script_hashes() == render.STREAMLIT_INLINE_SCRIPT_HASHES


def test_frame_ancestor_keywords_keep_their_quotes():
    assert render.content_security_policy("self https://www.city.gov").endswith(
        "frame-ancestors 'self' https://www.city.gov")
    example = render.read_settings(render.HERE / "atlas.env.example", {})
    assert example["ATLAS_FRAME_ANCESTORS"] == "'self'"


@pytest.mark.parametrize("bad", ["'self'; script-src *", "'self'\nadd_header X y", ""])
def test_frame_ancestors_cannot_inject(bad):
    with pytest.raises(ValueError, match="ATLAS_FRAME_ANCESTORS"):
        render.content_security_policy(bad)


def test_plain_site_has_limits_and_no_hsts():
    conf = render.render_site(render.read_settings(None, {}))
    public, staff = conf.split("upstream atlas_staff")
    assert "listen 80;" in public and "ssl" not in conf
    assert "add_header Strict-Transport-Security" not in conf
    assert "client_max_body_size 64k;" in public
    assert "location ^~ /_stcore/upload_file {\n        return 403;" in public
    assert "client_max_body_size 2m;" in staff  # 1 MB ruleset plus framing
    assert "upload_file" not in staff
    assert public.count("max_fails=1 fail_timeout=10s") == 2
    assert "proxy_next_upstream error timeout http_502 http_503;" in public
    assert "hash $atlas_route consistent;" in public
    assert conf.count('proxy_set_header Upgrade $http_upgrade;') == 2


def test_tls_site_redirects_and_sends_hsts():
    settings = render.read_settings(None, {"ATLAS_TLS_CERT": "/etc/ssl/atlas.pem",
                                           "ATLAS_TLS_KEY": "/etc/ssl/atlas.key",
                                           "ATLAS_STAFF_PORTS": ""})
    conf = render.render_site(settings)
    assert "listen 443 ssl http2;" in conf
    assert "ssl_certificate     /etc/ssl/atlas.pem;" in conf
    assert "return 301 https://$host$request_uri;" in conf
    assert 'Strict-Transport-Security "max-age=31536000; includeSubDomains" always;' in conf
    assert "SameSite=Lax; Secure" in conf
    assert "atlas_staff" not in conf


def test_ip_sticky_and_bad_values():
    assert "ip_hash;" in render.render_site(render.read_settings(None, {"ATLAS_STICKY": "ip"}))
    with pytest.raises(ValueError, match="ATLAS_STICKY"):
        render.render_site(render.read_settings(None, {"ATLAS_STICKY": "round"}))
    with pytest.raises(ValueError, match="ATLAS_PUBLIC_PORTS must list port numbers"):
        render.site_plan(render.read_settings(None, {"ATLAS_PUBLIC_PORTS": "85o1"}))


def test_instances_give_public_processes_no_uploads_and_no_staff(tmp_path):
    written = render.write_instances(render.read_settings(None, {}), tmp_path)
    assert [p.name for p in written] == ["public-8501.env", "public-8502.env", "staff-8511.env"]
    public = (tmp_path / "public-8501.env").read_text().splitlines()
    assert public == ["ATLAS_PORT=8501", "ATLAS_PUBLIC_ONLY=1",
                      "STREAMLIT_SERVER_MAX_UPLOAD_SIZE=0"]
    staff = (tmp_path / "staff-8511.env").read_text().splitlines()
    assert "ATLAS_PUBLIC_ONLY=0" in staff and "STREAMLIT_SERVER_MAX_UPLOAD_SIZE=1" in staff


def test_rendered_standalone_conf_passes_nginx_t(tmp_path):
    nginx = find_nginx()
    if not nginx:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    conf = tmp_path / "nginx.conf"
    conf.write_text(render.render_standalone(render.read_settings(None, {
        "ATLAS_PUBLIC_LISTEN": "127.0.0.1:18080", "ATLAS_STAFF_LISTEN": "127.0.0.1:18081"}),
        tmp_path))
    result = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
