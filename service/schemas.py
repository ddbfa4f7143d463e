"""Request and response models of the HTTP API, with the Japanese examples shown at /docs."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from training.roles import ROLE_BY_ID, ROLE_IDS, ROLES

RoleId = Literal[ROLE_IDS]  # type: ignore[valid-type]  # the six ids, as an enum in the OpenAPI schema


def _check_bio(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("empty_text", "the bio is empty or only whitespace")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate from a "\ud800" escape: the tokenizer cannot take it
        raise PydanticCustomError(
            # Pydantic fills {name} templates but knows no format specs: the code point comes preformatted.
            "invalid_text", "the bio has an unpaired surrogate (U+{code}) at character {index}: "
            "it is not valid Unicode", {"code": f"{ord(text[exc.start]):04X}", "index": exc.start}) from None
    return text


BioText = Annotated[str, AfterValidator(_check_bio)]

CLASSIFY_EXAMPLES = {
    "one": {"summary": "1件の略歴", "value": {"text": "株式会社ABC 代表取締役社長"}},
    "many": {"summary": "複数の略歴（最大1,000件）", "value": {"texts": [
        "株式会社ABC 代表取締役。著書『小さな会社の採用術』",
        "〇〇銀行 法人営業部 課長",
        "Webエンジニア。Go と Kubernetes が好き",
        "大学3年生。サークルはテニス"]}},
    "explain": {"summary": "判断の根拠つき", "value": {"text": "日経系メディアで記者として10年、現在はデスク",
                                                        "explain": True}},
}


class ClassifyRequest(BaseModel):
    """One bio (`text`) or many (`texts`); `explain` adds the features behind each decision."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        example["value"] for example in CLASSIFY_EXAMPLES.values()]})

    text: BioText | None = Field(None, description="one bio (略歴・プロフィール文)")
    texts: list[BioText] | None = Field(None, min_length=1, description="many bios, answered in the same order")
    explain: bool = Field(False, strict=True, description="include the features that drove each decision")

    @model_validator(mode="after")
    def _one_of_text_or_texts(self):
        if (self.text is None) == (self.texts is None):
            raise PydanticCustomError(
                "text_or_texts", 'send either "text" (one bio) or "texts" (a list of bios), not {what}',
                {"what": "both" if self.text is not None else "neither"})
        return self

    def bios(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts)


class RoleScore(BaseModel):
    id: RoleId
    label: str = Field(description="the role's Japanese name")
    probability: float = Field(description="0 to 1")
    predicted: bool = Field(description="whether the role is in the bio's predicted set")


class Reason(BaseModel):
    feature: str = Field(description="a word, phrase or keyword cue found in the bio")
    weight: float = Field(description="how far it pushed the primary role up")


class ClassifyResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "primary": "executive", "primary_label": "企業経営者", "confidence": 0.97, "in_scope": 0.99,
        "roles": [{"id": "executive", "label": "企業経営者", "probability": 0.97, "predicted": True},
                  {"id": "employee", "label": "企業勤務者", "probability": 0.03, "predicted": False}],
        "explanation": None}]})

    primary: RoleId | None = Field(description="the first predicted role in LABELS.md order; null when out of scope")
    primary_label: str | None = Field(description="the primary role's Japanese name")
    confidence: float = Field(description="0 to 1: the primary's probability; for an abstention, 1 - in_scope")
    in_scope: float | None = Field(None, description="0 to 1: how likely the bio names a working role at "
                                                     "all; below the model's abstain_threshold the bio is "
                                                     "out of scope (absent from servers older than it)")
    roles: list[RoleScore] = Field(description="all six roles, most probable first")
    explanation: list[Reason] | None = Field(None, description="with explain=true: what drove the decision")

    @classmethod
    def from_prediction(cls, prediction, explain: bool) -> "ClassifyResult":
        return cls.model_validate(result_content(prediction, explain))


def result_content(prediction, explain: bool) -> dict:
    """One ClassifyResult as plain JSON data, built directly: the service answers with these
    instead of validating pydantic models it has just built itself (tested to match the schema)."""
    predicted = prediction.roles
    primary = prediction.primary
    return {
        "primary": primary,
        "primary_label": _LABELS[primary] if primary else None,
        "confidence": prediction.confidence,
        "in_scope": prediction.in_scope,
        "roles": [{"id": role, "label": _LABELS[role], "probability": probability,
                   "predicted": role in predicted}
                  for role, probability in sorted(prediction.probabilities.items(), key=_by_score)],
        "explanation": [{"feature": f, "weight": w} for f, w in prediction.explanation] if explain else None,
    }


_LABELS = {role.id: role.name_ja for role in ROLES}
_ORDER = {role: i for i, role in enumerate(ROLE_IDS)}


def _by_score(item) -> tuple[float, int]:
    """Most probable first; ties in LABELS.md order."""
    return -item[1], _ORDER[item[0]]


class ClassifyResponse(BaseModel):
    model_version: str
    results: list[ClassifyResult] = Field(description="one per bio, in the order sent")


class RoleInfo(BaseModel):
    id: RoleId
    label: str = Field(description="Japanese name")
    description: str
    study_share: float = Field(description="share of the role in the networking study the roles come from")


class RolesResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"roles": [
        {"id": "executive", "label": "企業経営者", "study_share": 0.1,
         "description": "会社を経営・共同所有する、または取締役会に入っている人（代表取締役、社長、CEO、創業者、取締役、CxO）"}]}]})

    roles: list[RoleInfo] = Field(description="the six roles in LABELS.md order (the order that decides primary)")

    @classmethod
    def all_roles(cls) -> "RolesResponse":
        return cls(roles=[RoleInfo(id=role.id, label=role.name_ja, description=role.description,
                                   study_share=role.study_share) for role in ROLES])


class CorpusInfo(BaseModel):
    files: list[str] = []
    sha256: str | None = None
    records: int | None = None
    primary_counts: dict[str, int] = {}
    role_counts: dict[str, int] = {}


class ModelInfo(BaseModel):
    version: str
    trained_at: str | None = None
    loaded_at: str = Field(description="when this process loaded the model (UTC)")
    directory: str
    corpus: CorpusInfo
    metrics: dict[str, Any] = Field(description="cross-validated metrics recorded at training time")
    thresholds: dict[str, float] = Field(description="per-role decision thresholds")
    abstain_threshold: float | None = Field(None, description="below this in-scope probability a bio is out of scope")
    libraries: dict[str, str] = {}


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"model_dir": "models/dev-snapshot"}]})

    model_dir: str | None = Field(None, description="a model directory on the server; default: the configured one")


class ReloadResponse(BaseModel):
    previous_version: str
    model: ModelInfo
    process_id: int = Field(description="the worker process that reloaded; with --workers N, only this one")


class Status(BaseModel):
    status: Literal["ok", "ready"]
    model_version: str | None = None


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. empty_text, text_too_long")
    message: str = Field(description="what was wrong, for people")
    details: Any = None


class ErrorResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"error": {
        "code": "text_too_long", "message": "texts[2] has 6,000 characters; the limit is 5,000",
        "details": {"index": 2, "characters": 6000, "limit": 5000}}}]})

    error: ErrorBody
