"""The HTTP API through FastAPI's TestClient: endpoints, their answers, and every kind of bad request."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from service import JinmyakuClient, JinmyakuError
from service.app import create_app
from service.settings import Settings
from training import ModelLoadError
from training.roles import ROLE_IDS, ROLES
from test_service_support import copy_model, default_model_dir

EXECUTIVE_BIO = "株式会社ABC 代表取締役社長"
LIMITS = dict(max_texts=5, max_text_chars=50, max_body_bytes=4_000, max_upload_bytes=8_000)
ADMIN_TOKEN = "s3cret"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(**LIMITS))) as test_client:
        yield test_client


@pytest.fixture
def admin_client():
    """A fresh app per test: reloads change its state."""
    with TestClient(create_app(Settings(admin_token=ADMIN_TOKEN))) as test_client:
        yield test_client


def classify(client, body):
    return client.post("/classify", json=body)


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# --- /classify ---------------------------------------------------------------------------------

def test_one_bio_gets_primary_label_confidence_and_all_six_roles_sorted(client):
    response = classify(client, {"text": EXECUTIVE_BIO})
    assert response.status_code == 200
    [result] = response.json()["results"]
    assert result["primary"] == "executive"
    assert result["primary_label"] == "企業経営者"
    assert 0.5 < result["confidence"] <= 1
    assert sorted(role["id"] for role in result["roles"]) == sorted(ROLE_IDS)
    probabilities = [role["probability"] for role in result["roles"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert result["roles"][0] == {"id": "executive", "label": "企業経営者",
                                  "probability": result["confidence"], "predicted": True}
    assert result["explanation"] is None


def test_many_bios_are_answered_in_the_order_sent(client):
    texts = [EXECUTIVE_BIO, "大学3年生。サークルはテニス", "Webエンジニア。GoとKubernetesが好き"]
    response = classify(client, {"texts": texts})
    assert response.status_code == 200
    assert [r["primary"] for r in response.json()["results"]] == ["executive", None, "employee"]


def test_out_of_scope_bio_has_null_primary_and_no_predicted_role(client):
    [result] = classify(client, {"text": "大学3年生です。サークルはテニス部"}).json()["results"]
    assert result["primary"] is None and result["primary_label"] is None
    assert not any(role["predicted"] for role in result["roles"])


def test_predicted_flags_match_the_roles_of_a_multi_role_bio(client):
    [result] = classify(client, {"text": "株式会社ABC 代表取締役。著書『小さな会社の採用術』（日経BP）"}).json()["results"]
    predicted = {role["id"] for role in result["roles"] if role["predicted"]}
    assert {"executive", "author"} <= predicted


def test_explain_lists_the_features_that_pushed_the_primary_role(client):
    [result] = classify(client, {"text": EXECUTIVE_BIO, "explain": True}).json()["results"]
    assert result["explanation"]
    assert all(set(reason) == {"feature", "weight"} and reason["weight"] > 0 for reason in result["explanation"])


def test_answers_match_the_documented_schema_inline_and_in_the_thread_pool():
    from service.app import INLINE_MAX_BIOS, INLINE_MAX_CHARS
    from service.schemas import ClassifyResponse, ClassifyResult, Reason, RoleScore
    from training import load_model

    bios = [EXECUTIVE_BIO, "大学3年生。サークルはテニス", "雑誌の編集者。著書『言葉の棚』"]
    # The same bios padded past the inline limit, or more of them, take the thread-pool path.
    padded = [bio + "。" + "趣味は散歩" * (INLINE_MAX_CHARS // 5) for bio in bios]
    many = bios * (INLINE_MAX_BIOS // len(bios) + 1)
    model = load_model(default_model_dir())
    with TestClient(create_app(Settings())) as test_client:
        for texts in (bios, padded, many):
            for explain in (False, True):
                response = test_client.post("/classify", json={"texts": texts, "explain": explain})
                assert response.status_code == 200, response.text
                body = response.json()
                # Exactly the documented keys: no extra, misspelt or missing ones.
                assert set(body) == set(ClassifyResponse.model_fields)
                for result in body["results"]:
                    assert set(result) == set(ClassifyResult.model_fields)
                    for role in result["roles"]:
                        assert set(role) == set(RoleScore.model_fields)
                    for reason in result["explanation"] or []:
                        assert set(reason) == set(Reason.model_fields)
                answer = ClassifyResponse.model_validate(body)
                expected = [ClassifyResult.from_prediction(p, explain) for p in model.classify(texts, explain)]
                assert answer.results == expected


def test_response_names_the_model_version(client):
    assert classify(client, {"text": EXECUTIVE_BIO}).json()["model_version"] == client.get("/model").json()["version"]


@pytest.mark.parametrize("text", [
    "\x00\x07\x1b", "🎉🎉🎉", "؟مرحبا", "<script>alert(1)</script>", "株" * 50, "a\u200bb", "\ufeff社長",
    "Software engineer who loves Rust", "𠮷野家 店長"])
def test_odd_text_is_classified_not_failed(client, text):
    response = classify(client, {"text": text})
    assert response.status_code == 200
    assert response.json()["results"][0]["primary"] in (None, *ROLE_IDS)


@pytest.mark.parametrize("content", [b'{"text": "\\ud800 abc"}', b'{"texts": ["abc", "x\\udfff"]}'])
def test_unpaired_surrogate_is_refused_with_422_not_500(client, content):
    response = client.post("/classify", content=content, headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_text")
    message = json.dumps(response.json(), ensure_ascii=False)
    assert "U+D800" in message or "U+DFFF" in message
    assert "{" + "code" not in message


# --- bad requests: one error shape, the right status and code -------------------------------------

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("content,status,code", [
    (b'{"text": "abc"', 400, "invalid_json"),
    (b"\xff\xfe\x00", 400, "invalid_json"),
    (b"[" * 3_000, 400, "invalid_json"),
    (b"", 422, "validation_error"),
    (b'{"text": 123}', 422, "validation_error"),
    (b'{"text": null}', 422, "text_or_texts"),
    (b'{"texts": "abc"}', 422, "validation_error"),
    (b'{"texts": []}', 422, "validation_error"),
    (b'{"texts": ["abc", 1]}', 422, "validation_error"),
    (b'{"text": "abc", "explain": "yes"}', 422, "validation_error"),
    (b'{"text": "abc", "lang": "ja"}', 422, "validation_error"),
    (b'["abc"]', 422, "validation_error"),
    (b'"abc"', 422, "validation_error"),
    (b"{}", 422, "text_or_texts"),
    (b'{"text": "abc", "texts": ["abc"]}', 422, "text_or_texts"),
    ('{"text": ""}'.encode(), 422, "empty_text"),
    ('{"text": " \\n\\t\u3000"}'.encode(), 422, "empty_text"),
    ('{"texts": ["abc", "  "]}'.encode(), 422, "empty_text"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_bad_body_gets_its_error_code(client, content, status, code):
    assert_error(client.post("/classify", content=content, headers=JSON), status, code)


def test_empty_text_error_says_which_bio(client):
    error = assert_error(classify(client, {"texts": ["社長", " "]}), 422, "empty_text")
    assert error["details"][0]["location"] == "texts[1]"


def test_text_over_the_length_limit_is_refused_with_its_index(client):
    error = assert_error(classify(client, {"texts": ["社長", "あ" * 51]}), 422, "text_too_long")
    assert "texts[1]" in error["message"] and "50" in error["message"]
    assert error["details"]["texts"] == [{"index": 1, "characters": 51}]


def test_text_at_the_length_limit_is_accepted(client):
    assert classify(client, {"text": "あ" * 50}).status_code == 200


def test_too_many_texts_are_refused(client):
    error = assert_error(classify(client, {"texts": ["社長"] * 6}), 422, "too_many_texts")
    assert error["details"] == {"count": 6, "limit": 5}


def test_body_over_the_size_limit_is_refused_with_413(client):
    assert_error(client.post("/classify", content=b" " * 4_001, headers=JSON), 413, "body_too_large")


def test_streamed_body_over_the_size_limit_is_refused_with_413(client):
    chunks = (b" " * 1_000 for _ in range(5))  # no Content-Length: sent chunked
    assert_error(client.post("/classify", content=chunks, headers=JSON), 413, "body_too_large")


def test_upload_paths_have_their_own_larger_limit(client):
    body = b"x" * 6_000  # over max_body_bytes, under max_upload_bytes
    assert client.post("/contacts", content=body).status_code != 413
    assert_error(client.post("/contacts", content=b"x" * 8_001), 413, "body_too_large")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x"])
def test_body_not_sent_as_json_is_refused_with_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    assert_error(client.post("/classify", content=b'{"text": "abc"}', headers=headers),
                 415, "unsupported_media_type")


def test_json_with_charset_is_accepted(client):
    response = client.post("/classify", content='{"text": "社長"}'.encode(),
                           headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200


def test_unknown_path_is_404_in_the_error_shape(client):
    assert_error(client.get("/classiffy"), 404, "not_found")


def test_wrong_method_is_405_in_the_error_shape(client):
    assert_error(client.get("/classify"), 405, "method_not_allowed")


def test_a_failure_inside_one_request_answers_500_and_the_next_request_is_served(client, monkeypatch):
    holder = client.app.state.model_holder
    monkeypatch.setattr(type(holder.current), "classify", lambda self, texts, explain=False: 1 / 0)
    # As a real server does: answer the 500 instead of raising into the test.
    served_as_in_production = TestClient(client.app, raise_server_exceptions=False)
    assert_error(classify(served_as_in_production, {"text": EXECUTIVE_BIO}), 500, "internal_error")
    monkeypatch.undo()
    assert classify(client, {"text": EXECUTIVE_BIO}).status_code == 200


# --- /roles, /model, health, metrics, docs --------------------------------------------------------

def test_roles_are_the_six_in_labels_order_with_japanese_names(client):
    roles = client.get("/roles").json()["roles"]
    assert [(r["id"], r["label"]) for r in roles] == [(role.id, role.name_ja) for role in ROLES]
    assert all(r["description"] for r in roles)


def test_model_reports_version_training_time_corpus_metrics_and_thresholds(client):
    info = client.get("/model").json()
    assert info["version"] and info["trained_at"]
    assert len(info["corpus"]["sha256"]) == 64 and info["corpus"]["records"] > 0
    assert "primary_macro_f1" in info["metrics"]
    assert set(info["thresholds"]) == set(ROLE_IDS)
    assert 0 < info["abstain_threshold"] < 1


def test_healthz_answers_ok(client):
    assert client.get("/healthz").json() == {"status": "ok", "model_version": None}


def test_readyz_answers_ready_with_the_model_version(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready" and response.json()["model_version"]


def test_metrics_count_requests_by_route_and_status_and_predictions_by_role(client):
    classify(client, {"texts": [EXECUTIVE_BIO, "大学3年生。サークルはテニス"]})
    client.get("/no-such-page")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'jinmyaku_http_requests_total{method="POST",route="/classify",status="200"}' in text
    assert 'jinmyaku_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/classify",status="200"}' in text
    assert 'jinmyaku_http_requests_total{method="GET",route="unmatched",status="404"}' in text
    assert metric_value(text, 'jinmyaku_predictions_total{role="executive"}') >= 1
    assert metric_value(text, "jinmyaku_abstentions_total") >= 1
    version = client.get("/model").json()["version"]
    assert f'jinmyaku_model_info{{version="{version}"}} 1.0' in text


def metric_value(exposition: str, series: str) -> float:
    return next(float(line.rsplit(" ", 1)[1]) for line in exposition.splitlines() if line.startswith(series + " "))


def test_openapi_documents_every_endpoint_with_japanese_examples(client):
    schema = client.get("/openapi.json").json()
    assert {"/classify", "/roles", "/model", "/healthz", "/readyz", "/metrics", "/admin/reload"} <= set(schema["paths"])
    examples = schema["paths"]["/classify"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert any("代表取締役" in str(example["value"]) for example in examples.values())
    assert client.get("/docs").status_code == 200


# --- start-up ----------------------------------------------------------------------------------

def test_missing_model_stops_start_up_naming_the_directory(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelLoadError, match=str(missing)):
        with TestClient(create_app(Settings(model_dir=missing))):
            pass


# --- /admin/reload -----------------------------------------------------------------------------

def reload(client, body=None, token=ADMIN_TOKEN):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.post("/admin/reload", json=body, headers=headers)


def test_reload_is_disabled_without_an_admin_token(client):
    assert_error(reload(client), 403, "admin_disabled")


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_reload_without_the_right_token_is_401(admin_client, token):
    response = reload(admin_client, token=token)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_reload_of_the_configured_model_keeps_serving(admin_client):
    response = reload(admin_client)
    assert response.status_code == 200, response.text
    assert response.json()["model"]["version"] == response.json()["previous_version"]
    assert classify(admin_client, {"text": EXECUTIVE_BIO}).json()["results"][0]["primary"] == "executive"


def test_reload_swaps_in_another_model_directory(admin_client, tmp_path):
    new_dir = copy_model(tmp_path / "candidate", "candidate-1")
    response = reload(admin_client, {"model_dir": str(new_dir)})
    assert response.status_code == 200, response.text
    assert admin_client.get("/model").json()["version"] == "candidate-1"
    assert classify(admin_client, {"text": EXECUTIVE_BIO}).json()["model_version"] == "candidate-1"
    metrics = admin_client.get("/metrics").text
    assert 'jinmyaku_model_info{version="candidate-1"} 1.0' in metrics
    assert 'jinmyaku_model_reloads_total{outcome="loaded"} 1.0' in metrics


def break_metadata(model_dir):
    (model_dir / "metadata.json").write_text("{not json", encoding="utf-8")


def break_model_file(model_dir):
    (model_dir / "model.joblib").write_bytes(b"not a joblib file")


@pytest.mark.parametrize("damage", [break_metadata, break_model_file])
def test_reload_of_a_broken_model_is_rejected_and_the_old_one_keeps_serving(admin_client, tmp_path, damage):
    before = admin_client.get("/model").json()["version"]
    broken = copy_model(tmp_path / "broken", "broken-1")
    damage(broken)
    error = assert_error(reload(admin_client, {"model_dir": str(broken)}), 422, "model_load_failed")
    assert str(broken) in error["message"]
    assert admin_client.get("/model").json()["version"] == before
    assert classify(admin_client, {"text": EXECUTIVE_BIO}).status_code == 200


def test_reload_of_a_missing_directory_is_rejected(admin_client, tmp_path):
    error = assert_error(reload(admin_client, {"model_dir": str(tmp_path / "nope")}), 422, "model_load_failed")
    assert "does not exist" in error["message"]


def test_reload_of_a_model_that_fails_the_test_prediction_is_rejected(admin_client, tmp_path, monkeypatch):
    class EveryoneIsAStudent:
        metadata_ = {"version": "useless"}

        def classify(self, texts, explain=False):
            from training.model import Prediction
            return [Prediction(None, (), {role: 0.0 for role in ROLE_IDS}, 1.0, 0.0) for _ in texts]

    holder = admin_client.app.state.model_holder
    monkeypatch.setattr(holder, "_loader", lambda directory: EveryoneIsAStudent())
    error = assert_error(reload(admin_client), 422, "model_load_failed")
    assert "test prediction" in error["message"]
    assert admin_client.get("/model").json()["version"] != "useless"


# --- the Python client ---------------------------------------------------------------------------

@pytest.fixture
def api(client):
    return JinmyakuClient(http=client)


def test_client_classifies_one_bio_into_one_result(api):
    assert api.classify(EXECUTIVE_BIO).primary == "executive"


def test_client_classifies_many_bios_into_a_list(api):
    results = api.classify([EXECUTIVE_BIO, "大学3年生。サークルはテニス"], explain=True)
    assert [r.primary for r in results] == ["executive", None]
    assert results[0].explanation


def test_client_lists_roles_and_model(api):
    assert [role.id for role in api.roles()] == list(ROLE_IDS)
    assert api.model().version


def test_client_raises_the_server_error_code_and_message(api):
    with pytest.raises(JinmyakuError) as caught:
        api.classify("  ")
    assert caught.value.status == 422 and caught.value.code == "empty_text"
    assert "empty" in caught.value.message


def test_client_reports_an_unreachable_service():
    from test_service_support import free_port

    with JinmyakuClient(f"http://127.0.0.1:{free_port()}", timeout=2) as api:
        with pytest.raises(JinmyakuError) as caught:
            api.roles()
    assert caught.value.code == "connection_failed" and caught.value.status is None


def test_client_reload_sends_the_admin_token(admin_client):
    assert JinmyakuClient(http=admin_client, admin_token=ADMIN_TOKEN).reload().model.version
    with pytest.raises(JinmyakuError, match="unauthorized"):
        JinmyakuClient(http=admin_client, admin_token="wrong").reload()


def test_client_reads_answers_of_a_server_without_in_scope():
    """A newer client against a server from before in_scope existed (a rolling deploy)."""
    from service.schemas import ClassifyResponse

    older = {"model_version": "roles-old", "results": [{
        "primary": "media", "primary_label": "マスコミ関係者", "confidence": 0.9,
        "roles": [{"id": "media", "label": "マスコミ関係者", "probability": 0.9, "predicted": True}],
        "explanation": None}]}
    assert ClassifyResponse.model_validate(older).results[0].in_scope is None
