"""Auth edges found by hostile probing: empty Basic halves, commented tokens, forged addresses, Host reflection."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TOKEN, Pusher, v4_document
from flask import Flask

from oai_server import create_app
from oai_server.config import ConfigError, load_settings
from oai_server.store import of as store_of


@pytest.mark.parametrize("value", [":", "user:", ":password", " : "])
def test_basic_credentials_with_an_empty_user_or_password_are_refused_at_start(value: str) -> None:
    # `:` passed check-config, and then `Authorization: Basic Og==` published.
    with pytest.raises(ConfigError) as info:
        load_settings({"DMZPUB_SCICAT_BASIC": value})
    assert info.value.name == "DMZPUB_SCICAT_BASIC" and "user:password" in str(info.value)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Return a factory of apps with the given settings; their stores are closed afterwards."""
    made: list[Flask] = []

    def build(**settings: Any) -> Flask:
        config = {
            "TESTING": True,
            "DMZPUB_DATA_DIR": str(tmp_path / "var"),
            "DMZPUB_DOWNLOAD_DIR": str(tmp_path / "downloads"),
            "DMZPUB_BASE_URL": "https://doi.example.org",
            **settings,
        }
        made.append(create_app(config))
        return made[-1]

    yield build
    for app in made:
        store_of(app).close()


def test_indented_commented_lines_of_the_tokens_file_are_not_tokens(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("live-token-123\n   # old-token\n\t#retired\n")
    app = make_app(DMZPUB_PUSH_TOKENS_FILE=str(tokens))
    client = app.test_client()
    for token in ("# old-token", "#retired"):
        response = client.get("/api/v1/published", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    assert client.get("/api/v1/published", headers={"Authorization": "Bearer live-token-123"}).status_code == 200


def test_x_forwarded_for_is_trusted_only_from_the_proxys_own_address(make_app: Callable[..., Flask]) -> None:
    app = make_app(DMZPUB_PUSH_TOKENS=TOKEN, DMZPUB_PROXY_COUNT=1, DMZPUB_PUSH_ALLOW_CIDRS="10.0.0.0/8")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "10.1.2.3"}
    # A client reaching gunicorn directly claims to be on the allowed network.
    direct = client.get("/api/v1/published", headers=headers, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert direct.status_code == 403 and "192.0.2.9" in direct.get_json()["detail"]
    # nginx on loopback (DMZPUB_FORWARDED_ALLOW_IPS) is believed.
    proxied = client.get("/api/v1/published", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert proxied.status_code == 200


def test_forwarded_allow_ips_names_the_variable_when_bad() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"DMZPUB_FORWARDED_ALLOW_IPS": "not-an-address"})
    assert info.value.name == "DMZPUB_FORWARDED_ALLOW_IPS"


@pytest.mark.parametrize("path", ["/api//v1/openapi.json", "//healthz", "/api/v1//published"])
def test_double_slash_redirects_never_reflect_the_host_header(make_app: Callable[..., Flask], path: str) -> None:
    client = make_app().test_client()
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code in (301, 308), response.status_code
    location = response.headers["Location"]
    assert "evil.example" not in location
    assert location.startswith("https://doi.example.org/") or location.startswith("/")


def test_doi_keys_fold_ascii_case_only(client: Any, pusher: Pusher) -> None:
    # U+212A KELVIN SIGN lower-cases to ASCII k: the two DOIs must stay two records.
    kelvin = "10.5555/\u212a-sample"
    assert pusher.put(v4_document("10.5555/k-sample", title="ASCII k")).status_code == 201
    response = pusher.put(v4_document(kelvin, title="Kelvin"), doi=kelvin)
    assert response.status_code == 201, response.get_json()
    assert pusher.get("10.5555/k-sample").get_json()["metadata"]["titles"][0]["title"] == "ASCII k"
    assert pusher.get("10.5555/K-SAMPLE").get_json()["metadata"]["titles"][0]["title"] == "ASCII k"


def test_a_chunked_body_over_the_limit_is_413(app_config: dict[str, Any], make_app: Callable[..., Flask]) -> None:
    app = make_app(**{**app_config, "DMZPUB_MAX_PUSH_BYTES": 2048})
    body = b'{"doi": "10.5555/big", "title": "' + b"x" * 10_000 + b'"}'

    response = app.test_client().put(
        "/api/v1/published/10.5555/big",
        input_stream=io.BytesIO(body),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/json",
        },
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413, response.data
    assert response.mimetype == "application/problem+json"


def test_basic_with_empty_credentials_never_publishes(client: Any) -> None:
    header = {"Authorization": "Basic " + base64.b64encode(b":").decode()}
    response = client.post("/scicat/oai/Publication", json=v4_document("10.5555/basic-empty"), headers=header)
    assert response.status_code == 401


def test_pusher_reads_the_app_it_is_given_outside_any_flask_context(make_app: Callable[..., Flask]) -> None:
    from flask import has_app_context

    from oai_server.api.auth import pusher

    app = make_app(
        DMZPUB_PUSH_TOKENS="ci:secret-one",
        DMZPUB_SCICAT_BASIC="scicat:pw",
        DMZPUB_PUSH_ALLOW_CIDRS="10.0.0.0/8",
    )
    assert not has_app_context()
    assert pusher(app, "10.1.2.3", "Bearer secret-one") == "ci"
    basic = "Basic " + base64.b64encode(b"scicat:pw").decode()
    assert pusher(app, "10.1.2.3", basic, allow_basic=True) == "basic:scicat"
    inside = "10.1.2.3"
    refused = [(inside, basic, False), (inside, "Bearer wrong", False), ("192.0.2.1", "Bearer secret-one", True)]
    assert [_refusal(app, *args).status for args in refused] == [401, 401, 403]
    assert 'Basic realm="dmzpub"' in _refusal(app, inside, "Bearer wrong", True).headers["WWW-Authenticate"]
    assert _refusal(app, None, "Bearer secret-one", False).status == 403
    assert _refusal(make_app(DMZPUB_PUSH_TOKENS=""), inside, "Bearer x", False).title == "Push disabled"


def _refusal(app: Flask, *args: Any) -> Any:
    """Return the APIProblem auth.pusher raises for these arguments."""
    from oai_server.api.auth import pusher
    from oai_server.problems import APIProblem

    with pytest.raises(APIProblem) as info:
        pusher(app, *args)
    return info.value
