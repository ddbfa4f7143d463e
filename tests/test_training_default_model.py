"""The shipped default model on clear bios, multi-role bios, out-of-scope text and odd input."""
import re

import pytest

from training import classify

CLEAR = {
    "executive": ["株式会社みなと食品 代表取締役社長", "ITスタートアップの共同創業者兼CEO。2018年に創業し、現在も経営を担う"],
    "author": ["小説家。著書に『夜の港』『海の記憶』（青空書房）など", "作家・エッセイスト。新刊『ひとりの台所』好評発売中"],
    "media": ["全国紙の記者。経済部で金融業界を取材している", "テレビ局のアナウンサーとして夕方のニュース番組を担当"],
    "manager": ["〇〇銀行 法人営業部 部長", "大手メーカーで営業本部長を務める"],
    "consultant": ["経営コンサルタント。中小企業の事業再生を支援", "税理士。顧問先企業の税務と会計を支援している"],
    "employee": ["Webエンジニア。GoとKubernetesが好き", "メーカーで経理を担当している会社員です"],
}


@pytest.mark.parametrize("role,text", [(r, t) for r, texts in CLEAR.items() for t in texts])
def test_clear_bio_gets_its_role_as_primary(default_model, role, text):
    assert default_model.classify([text])[0].primary == role


def test_executive_who_wrote_a_book_has_both_roles(default_model):
    prediction = default_model.classify(["株式会社ABC 代表取締役。著書『小さな会社の採用術』（日経BP）"])[0]
    assert prediction.primary == "executive"
    assert "author" in prediction.roles


def test_consulting_firm_senior_manager_is_manager_and_consultant(default_model):
    prediction = default_model.classify(["外資系コンサルティングファームでシニアマネージャーを務める"])[0]
    assert prediction.roles == ("manager", "consultant")


@pytest.mark.parametrize("text", ["大学3年生です。サークルはテニス部", "専業主婦です", "よろしくお願いします"])
def test_out_of_scope_text_gets_no_primary(default_model, text):
    prediction = default_model.classify([text])[0]
    assert prediction.primary is None
    assert prediction.roles == ()


def test_explanation_names_features_that_pushed_the_primary_role(default_model):
    prediction = default_model.classify(["株式会社サクラ 代表取締役社長"], explain=True)[0]
    assert prediction.explanation
    assert all(weight > 0 for _, weight in prediction.explanation)


@pytest.mark.parametrize("text", ["株" * 100_000, "\x00\x07\x1b", "Software engineer who loves Rust",
                                  "🎉🎉🎉", "   ", "؟مرحبا"])
def test_odd_input_is_classified_without_error(default_model, text):
    prediction = default_model.classify([text])[0]
    assert prediction.primary in (None, "executive", "author", "media", "manager", "consultant", "employee")


def test_module_level_classify_accepts_one_text_or_many():
    assert classify("株式会社みなと食品 代表取締役社長").primary == "executive"
    assert [p.primary for p in classify(["株式会社みなと食品 代表取締役社長", "全国紙の記者"])] == ["executive", "media"]


def test_explanation_skips_particles_numbers_and_counters(default_model):
    # Long career bios lean on function words (た, で, 年) that carry weight but explain nothing.
    texts = ["1975年、札幌生まれ。大学を出てから郵便局で働いた。30歳で絵本の賞を受けたのを機に、児童書の作家として書きはじめた。"
             "これまでに出した本は12冊になった。",
             "IT企業で10年ほどエンジニアとして働いたのち、2015年に独立した。現在は個人で開発を受けている。",
             "東京生まれ。美大を卒業後、デザイン事務所に勤めた。2010年からフリーランスとして活動している。趣味は登山。"]
    for prediction in default_model.classify(texts, explain=True):
        words = [name for name, _ in prediction.explanation]
        assert words, prediction
        assert len(set(words)) == len(words), words
        for word in words:
            assert not re.fullmatch(r"[\u3040-\u309f]{1,2}|[\d\W_]+|[年月日]", word.split(" (")[0]), words


def test_filler_features_are_told_from_reasons():
    from training.model import is_filler_feature

    assert all(map(is_filler_feature, ["w:た", "b:た め", "p:2019", "w:年", "w:the", "c:・"]))
    assert not any(map(is_filler_feature, ["w:作家", "c:設立", "b:を 設立", "f:エンジニア", "kw:author:plain"]))


@pytest.mark.parametrize("text", ["株式会社4410", "有限会社77", "株式会社サクラ", "株式会社ツユクサ", "株式会社 ヤマボウシ"])
def test_a_company_name_alone_is_not_an_executive(default_model, text):
    # A contact row with an empty title leaves only the company: the person works there (data card rules).
    assert default_model.classify([text])[0].primary in ("employee", None)
